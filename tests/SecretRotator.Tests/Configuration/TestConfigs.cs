using k8s;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Static;

namespace SecretRotator.Tests.Configuration;

/// <summary>A valid config covering every section, and helpers to parse variants of it.</summary>
internal static class TestConfigs
{
    public const string TokenVariable = "SECRET_ROTATOR_TEST_TOKEN";
    public const string UnsetVariable = "SECRET_ROTATOR_TEST_UNSET_5E1F";
    /// <summary>Relative in the config, so the config text (and every seeded mutation of it) is the same on every machine.</summary>
    public const string PasswordFileName = "hub-password";

    /// <summary>The directory the config is parsed as being in; relative {file:} sources resolve against it.</summary>
    /// <remarks>Beside the test binary, not in /tmp: it lives as long as the test process, which has no reliable
    /// moment to delete it (the runner may end the process without ProcessExit), so it is reused, not leaked.</remarks>
    public static readonly string ConfigDirectory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "config-tests")).FullName;
    public static readonly string FileName = Path.Combine(ConfigDirectory, "rotator.yaml");
    /// <summary>An existing file for {file: PATH} sources (parsing checks it exists, never reads it).</summary>
    public static readonly string PasswordFile = WritePasswordFile(ConfigDirectory);

    static TestConfigs() => Environment.SetEnvironmentVariable(TokenVariable, "token-for-tests");

    public static string WritePasswordFile(string directory)
    {
        var path = Path.Combine(directory, PasswordFileName);
        File.WriteAllText(path, "file-password\n");
        return path;
    }

    public static string Valid => $$"""
        registries:
          - name: ghcr
            type: static
            server: ghcr.io
            username: bot
            password: {env: {{TokenVariable}}}
          - name: hub
            type: static
            server: https://index.docker.io/v1/
            username: {env: {{TokenVariable}}}
            password: {file: {{PasswordFileName}}}
            email: bot@example.org
        secrets:
          - name: regcred
            registries: [ghcr, hub]
            namespaces:
              names: [default, "team-*"]
              selector: "pull-secrets=enabled"
              exclude: ["kube-*"]
            serviceAccounts: [default]
          - name: other
            registries: [hub]
            namespaces:
              selector: "env in (prod, staging)"
        settings:
          concurrency: 4
          refreshBefore: 1h30m
          verify: true
          adopt: true
          prune: true
          timeout: 90s

        """;

    /// <summary>Every registry type registered in <c>AddSecretRotator()</c> (static, ecr, ecr-public, acr, gcr), for fuzzing their parsers too.</summary>
    public static string ValidAllTypes => $$"""
        registries:
          - name: ghcr
            type: static
            server: ghcr.io
            username: bot
            password: {env: {{TokenVariable}}}
          - name: prod-ecr
            type: ecr
            region: us-east-1
            accounts: ["123456789012", "210987654321"]
            roleArn: arn:aws:iam::123456789012:role/ecr-pull
            externalId: ext-id
            sessionName: rotator
            fips: false
            dualStack: true
            endpoint: https://vpce-0abc.api.ecr.us-east-1.vpce.amazonaws.com
          - name: public
            type: ecr-public
            roleArn: arn:aws:iam::123456789012:role/ecr-public
          - name: acr
            type: acr
            server: myregistry.azurecr.io
            auth: workload
            clientId: 00000000-0000-0000-0000-000000000000
            tenantId: 11111111-1111-1111-1111-111111111111
            endpoint: https://myregistry.azurecr.io
          - name: gar
            type: gcr
            servers: [us-docker.pkg.dev, gcr.io]
            credentialsFile: /dev/null
            impersonate: puller@my-project.iam.gserviceaccount.com
            iamEndpoint: https://iamcredentials.googleapis.com
        secrets:
          - name: regcred
            registries: [ghcr, prod-ecr, public, acr, gar]
            namespaces:
              names: [default]

        """;

    /// <summary>The loader as the application wires it, with every registry type.</summary>
    public static ConfigLoader ApplicationLoader()
    {
        var services = new ServiceCollection().AddSecretRotator();
        services.AddSingleton<IKubernetesClientProvider>(new NoCluster());
        return services.BuildServiceProvider().GetRequiredService<ConfigLoader>();
    }

    public static ConfigLoader Loader() =>
        new([new StaticRegistryProvider(new ValueResolver(new NoCluster()))]);

    /// <summary>Parsing checks that sources exist but never reads secrets from the cluster.</summary>
    private sealed class NoCluster : IKubernetesClientProvider
    {
        public IKubernetes Client => throw new InvalidOperationException("parsing never talks to the cluster");
    }

    /// <summary>Parses text that must be rejected; returns every error reported.</summary>
    public static IReadOnlyList<ConfigError> Errors(string yaml)
    {
        var ex = Assert.Throws<ConfigException>(() => Loader().Parse(yaml, FileName));
        Assert.NotEmpty(ex.Errors);
        return ex.Errors;
    }

    /// <summary>The valid config with <paramref name="find"/> (which must occur exactly once) replaced.</summary>
    public static string Replace(string find, string replacement) => Replace(Valid, find, replacement);

    public static string Replace(string yaml, string find, string replacement)
    {
        var at = yaml.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{find}' not in config");
        Assert.True(yaml.IndexOf(find, at + 1, StringComparison.Ordinal) < 0, $"'{find}' occurs more than once");
        return string.Concat(yaml.AsSpan(0, at), replacement, yaml.AsSpan(at + find.Length));
    }

    /// <summary>1-based line of the only line containing <paramref name="marker"/>.</summary>
    public static int LineOf(string yaml, string marker)
    {
        var lines = yaml.Split('\n');
        var hits = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(marker, StringComparison.Ordinal)).ToList();
        Assert.True(hits.Count == 1, $"marker '{marker}' found on {hits.Count} lines");
        return hits[0] + 1;
    }

}
