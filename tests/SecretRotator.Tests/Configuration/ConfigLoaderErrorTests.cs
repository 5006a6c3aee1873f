using SecretRotator.Configuration;
using static SecretRotator.Tests.Configuration.TestConfigs;

namespace SecretRotator.Tests.Configuration;

public sealed class ConfigLoaderErrorTests
{
    public static TheoryData<string, string, string, string, string> Mistakes => new()
    {
        // find, replacement, expected path, marker on the expected line, part of the message
        { "settings:\n", "extra: 1\nsettings:\n", "extra", "extra: 1", "unknown field" },
        { "    server: ghcr.io\n", "    server: ghcr.io\n    sever: x\n", "registries[0].sever", "sever: x", "unknown field" },
        { "    serviceAccounts: [default]\n", "    serviceAccounts: [default]\n    serviceAcounts: [x]\n", "secrets[0].serviceAcounts", "serviceAcounts: [x]", "unknown field" },
        { "      exclude: [\"kube-*\"]\n", "      exclude: [\"kube-*\"]\n      excludes: []\n", "secrets[0].namespaces.excludes", "excludes: []", "unknown field" },
        { "  prune: true\n", "  prune: true\n  prun: true\n", "settings.prun", "prun: true", "unknown field" },
        { "secrets:\n", "  - name: ghcr # again\n    type: static\n    server: x.io\n    username: u\n    password: {env: SECRET_ROTATOR_TEST_TOKEN}\nsecrets:\n",
            "registries[2].name", "# again", "duplicate registry name 'ghcr'" },
        { "  - name: other\n", "  - name: regcred # again\n", "secrets[1].name", "# again", "duplicate secret name 'regcred'" },
        { "    registries: [hub]\n", "    registries: [hub, quay]\n", "secrets[1].registries[1]", "[hub, quay]", "unknown registry 'quay'" },
        { "names: [default, \"team-*\"]", "names: [default, \"Team_*\"]", "secrets[0].namespaces.names[1]", "Team_*", "invalid namespace glob 'Team_*'" },
        { "exclude: [\"kube-*\"]", "exclude: [\"kube-*\", \"a/b\"]", "secrets[0].namespaces.exclude[1]", "a/b", "invalid namespace glob 'a/b'" },
        { "selector: \"env in (prod, staging)\"", "selector: \"env in prod\"", "secrets[1].namespaces.selector", "env in prod", "invalid label selector" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: hunter2", "registries[0].password", "hunter2", "must not be a literal" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {env: SECRET_ROTATOR_TEST_UNSET_5E1F}", "registries[0].password.env", "UNSET_5E1F", "environment variable 'SECRET_ROTATOR_TEST_UNSET_5E1F' is not set" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {file: \"pass\\0word\"}", "registries[0].password.file", "pass\\0word", "must be a file path" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {file: \"\"}", "registries[0].password.file", "{file: \"\"}", "must be a file path" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {env: \"\"}", "registries[0].password.env", "{env: \"\"}", "is not set" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {env: X, file: /y}", "registries[0].password", "env: X, file", "exactly one of env, file, secret" },
        { "password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {secret: {namespace: a, name: b}}", "registries[0].password.secret.key", "namespace: a", "is required" },
        { "    server: ghcr.io\n", "", "registries[0].server", "- name: ghcr", "is required" },
        { "  concurrency: 4\n", "  concurrency: many\n", "settings.concurrency", "many", "must be an integer" },
        { "  concurrency: 4\n", "  concurrency: \"4\\0\"\n", "settings.concurrency", "concurrency: \"4", "must be an integer" },
        { "  concurrency: 4\n", "  concurrency: \" 4\"\n", "settings.concurrency", "concurrency: \" 4", "must be an integer" },
        { "  concurrency: 4\n", "  concurrency: 0\n", "settings.concurrency", "concurrency: 0", "between 1 and 256" },
        { "  verify: true\n", "  verify: yes\n", "settings.verify", "verify: yes", "must be true or false" },
        { "  timeout: 90s\n", "  timeout: 90s\n  qps: 0\n", "settings.qps", "qps: 0", "between 0.01 and 100000" },
        { "  timeout: 90s\n", "  timeout: 90s\n  qps: fast\n", "settings.qps", "qps: fast", "must be a number" },
        { "  timeout: 90s\n", "  timeout: 90s\n  burst: 0\n", "settings.burst", "burst: 0", "between 1 and 100000" },
        { "  refreshBefore: 1h30m\n", "  refreshBefore: soon\n", "settings.refreshBefore", "soon", "must be a duration" },
        { "  refreshBefore: 1h30m\n", "  refreshBefore: 8d\n", "settings.refreshBefore", "8d", "at most 7d" },
        { "  timeout: 90s\n", "  timeout: 0s\n", "settings.timeout", "0s", "greater than zero" },
        { "    server: ghcr.io\n", "    server: ghcr.io\n    schedule: \"0 3 1 * 1\"\n", "registries[0].schedule", "schedule: \"0 3 1 * 1\"", "cannot restrict both day-of-month and day-of-week" },
        { "    server: ghcr.io\n", "    server: ghcr.io\n    schedule: hourly\n", "registries[0].schedule", "schedule: hourly", "expected a cron expression with 5 fields" },
        { "  timeout: 90s\n", "  timeout: 90s\n  staticRefreshInterval: 1s\n", "settings.staticRefreshInterval", "staticRefreshInterval: 1s", "at least 10s" },
        { "    server: ghcr.io\n", "    server: [ghcr.io]\n", "registries[0].server", "[ghcr.io]", "must be a string" },
        { "names: [default, \"team-*\"]", "names: default", "secrets[0].namespaces.names", "names: default", "must be a list" },
        { "    serviceAccounts: [default]\n", "    serviceAccounts: [Default]\n", "secrets[0].serviceAccounts", "[Default]", "not a valid service account name" },
        { "    type: static\n    server: ghcr.io\n", "    type: quay\n    server: ghcr.io\n", "registries[0].type", "quay", "unknown registry type 'quay'" },
        { "  - name: other\n", "  - name: \"other\\n\"\n", "secrets[1].name", "other\\n", "must be a valid Secret name" },
        { "  verify: true\n", "  verify: true\n  verify: false\n", "settings.verify", "verify: false", "duplicate key 'verify'" },
        { "    server: ghcr.io\n", "    server: ghcr.io\n    \"server\": ghcr.io\n", "registries[0].server", "\"server\"", "duplicate key 'server'" },
        { "    namespaces:\n      selector: \"env in (prod, staging)\"\n", "    namespaces: \"env in (prod, staging)\"\n", "secrets[1].namespaces", "namespaces: \"env", "must be a mapping" },
        { "    namespaces:\n      selector: \"env in (prod, staging)\"\n", "    namespaces: {}\n", "secrets[1].namespaces.names", "namespaces: {}", "at least one namespace" },
        { "settings:\n", "metrics:\n  pushgateway: {url: ftp://x}\nsettings:\n", "metrics.pushgateway.url", "ftp://x", "http(s) URL" },
        { "settings:\n", "metrics:\n  pushgateway: {url: http://pg:9091, instance: \"\"}\nsettings:\n", "metrics.pushgateway.instance", "instance: \"\"", "must be 1-128 characters" },
        { "settings:\n", "metrics:\n  pushgateway: {url: http://pg:9091, instance: \"prod cluster/eu\"}\nsettings:\n", "metrics.pushgateway.instance", "prod cluster", "must be 1-128 characters" },
        { "settings:\n", "metrics:\n  pushgateway: {url: http://pg:9091, instance: [a]}\nsettings:\n", "metrics.pushgateway.instance", "[a]", "must be a string" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Parse_OneMistake_ReportsFileLineAndPath(string find, string replacement, string path, string marker, string message)
    {
        var yaml = Replace(find, replacement);

        var errors = Errors(yaml);

        var error = Assert.Single(errors);
        Assert.Equal(FileName, error.File);
        Assert.Equal(path, error.Path);
        Assert.Equal(LineOf(yaml, marker), error.Line);
        Assert.True(error.Column >= 1, $"column {error.Column}");
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{FileName}:{error.Line}:{error.Column}: {path}: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidRegistryName_ReportsNameAndTheReferenceToIt()
    {
        var yaml = Replace("  - name: ghcr\n", "  - name: GHCR\n");

        var errors = Errors(yaml);

        Assert.Equal(2, errors.Count);
        Assert.Contains("lowercase", errors.Single(e => e.Path == "registries[0].name").Message, StringComparison.Ordinal);
        Assert.Equal(LineOf(yaml, "[ghcr, hub]"), errors.Single(e => e.Path == "secrets[0].registries[0]").Line);
    }

    [Fact]
    public void Parse_MissingPasswordFile_ReportsFileField()
    {
        var yaml = Replace("password: {file: hub-password}", "password: {file: /nonexistent/secret-rotator/password}");

        var error = Assert.Single(Errors(yaml));

        Assert.Equal("registries[1].password.file", error.Path);
        Assert.Equal(LineOf(yaml, "/nonexistent/"), error.Line);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RegistryWithOtherErrors_StillCountsForDuplicatesAndReferences()
    {
        // The first 'ghcr' has a bad type: its name is still declared, so the second is a duplicate
        // and the secrets that use 'ghcr' are not told it is unknown.
        var yaml = Replace("    type: static\n    server: ghcr.io\n", "    type: quay\n    server: ghcr.io\n")
            .Replace("  - name: hub\n", "  - name: ghcr # again\n", StringComparison.Ordinal)
            .Replace("registries: [ghcr, hub]", "registries: [ghcr]", StringComparison.Ordinal)
            .Replace("registries: [hub]", "registries: [ghcr]", StringComparison.Ordinal);

        var errors = Errors(yaml);

        Assert.Equal(["registries[0].type", "registries[1].name"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_ManyDifferentMistakes_ReportsAllAtOnce()
    {
        var mistakes = new (string Find, string Replacement, string Path)[]
        {
            ("settings:\n", "extra: 1\nsettings:\n", "extra"),
            ("    server: ghcr.io\n", "    server: ghcr.io\n    sever: x\n", "registries[0].sever"),
            ("  - name: other\n", "  - name: regcred\n", "secrets[1].name"),
            ("    registries: [hub]\n", "    registries: [hub, quay]\n", "secrets[1].registries[1]"),
            ("names: [default, \"team-*\"]", "names: [default, \"Team_*\"]", "secrets[0].namespaces.names[1]"),
            ("selector: \"env in (prod, staging)\"", "selector: \"env in prod\"", "secrets[1].namespaces.selector"),
            ("password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: hunter2", "registries[0].password"),
            ("password: {file: hub-password}", "password: {file: /nonexistent/x}", "registries[1].password.file"),
            ("  concurrency: 4\n", "  concurrency: many\n", "settings.concurrency"),
            ("  verify: true\n", "  verify: yes\n", "settings.verify"),
            ("  prune: true\n", "  prune: true\n  prun: 1\n", "settings.prun"),
        };
        var yaml = mistakes.Aggregate(Valid, (text, m) => Replace(text, m.Find, m.Replacement));

        var errors = Errors(yaml);

        Assert.Equal(mistakes.Select(m => m.Path).Order(StringComparer.Ordinal), errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_SeveralDuplicateKeys_ReportsEachWithItsPath()
    {
        var yaml = Replace("  verify: true\n", "  verify: true\n  verify: false\n")
            .Replace("    email: bot@example.org\n", "    email: bot@example.org\n    email: x@example.org\n", StringComparison.Ordinal);

        var errors = Errors(yaml);

        Assert.Equal(["registries[1].email", "settings.verify"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(LineOf(yaml, "x@example.org"), errors.Single(e => e.Path == "registries[1].email").Line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("- a\n- b\n")]
    [InlineData("just a string\n")]
    [InlineData("a: 1\n---\nb: 2\n")]
    public void Parse_NotOneMapping_ReportsLineOne(string yaml)
    {
        var error = Assert.Single(Errors(yaml));

        Assert.Equal(FileName, error.File);
        Assert.Equal(1, error.Line);
        Assert.Contains("one YAML mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyMapping_RequiresRegistriesAndSecrets()
    {
        var errors = Errors("{}\n");

        Assert.Equal(["registries", "secrets"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Contains("is required", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SyntaxError_ReportsLineOfTheProblem()
    {
        var yaml = Replace("  concurrency: 4\n", "  concurrency: [4\n");

        var error = Assert.Single(Errors(yaml));

        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= LineOf(yaml, "concurrency: [4"), $"line {error.Line}");
    }

    [Fact]
    public void Parse_TabIndentation_ReportsInvalidYaml()
    {
        var yaml = Replace("  concurrency: 4\n", "\tconcurrency: 4\n");

        var error = Assert.Single(Errors(yaml));

        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
        Assert.Equal(LineOf(yaml, "\tconcurrency"), error.Line);
    }

    [Fact]
    public void Load_MissingFile_ReportsCannotRead()
    {
        var path = Path.Combine(Path.GetTempPath(), $"secret-rotator-missing-{Guid.NewGuid():N}.yaml");

        var ex = Assert.Throws<ConfigException>(() => Loader().Load(path));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.File);
        Assert.Contains("cannot read config file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileOverOneMebibyte_IsRejectedWithoutParsing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"secret-rotator-big-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, Valid + "# " + new string('x', ConfigLoader.MaxBytes) + "\n");
        try
        {
            var ex = Assert.Throws<ConfigException>(() => Loader().Load(path));

            Assert.Contains("larger than", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
