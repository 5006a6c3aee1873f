using SecretRotator.Configuration;
using SecretRotator.Registries.Static;
using static SecretRotator.Tests.Configuration.TestConfigs;

namespace SecretRotator.Tests.Configuration;

public sealed class ConfigLoaderValidTests
{
    [Fact]
    public void Parse_ValidConfig_ReadsRegistries()
    {
        var config = Loader().Parse(Valid, FileName);

        Assert.Equal(FileName, config.File);
        Assert.Equal(["ghcr", "hub"], config.Registries.Select(r => r.Name));
        Assert.All(config.Registries, r => Assert.Equal("static", r.Type));
        var ghcr = Assert.IsType<StaticRegistryOptions>(config.Registry("ghcr").Options);
        Assert.Equal(new StaticRegistryOptions("ghcr.io", new ValueSource.Literal("bot"), new ValueSource.Env(TokenVariable), null), ghcr);
        var hub = Assert.IsType<StaticRegistryOptions>(config.Registry("hub").Options);
        Assert.Equal(new StaticRegistryOptions("https://index.docker.io/v1/", new ValueSource.Env(TokenVariable), new ValueSource.File(PasswordFile), "bot@example.org"), hub);
        Assert.Equal(new SourceLocation(FileName, LineOf(Valid, "- name: hub"), 5, "registries[1]"), config.Registry("hub").Location);
    }

    [Fact]
    public void Parse_ValidConfig_ReadsSecrets()
    {
        var config = Loader().Parse(Valid, FileName);

        Assert.Equal(2, config.Secrets.Count);
        var regcred = config.Secrets[0];
        Assert.Equal("regcred", regcred.Name);
        Assert.Equal(["ghcr", "hub"], regcred.Registries);
        Assert.Equal(["default", "team-*"], regcred.Namespaces.Names);
        Assert.Equal("pull-secrets=enabled", regcred.Namespaces.Selector);
        Assert.Equal(["kube-*"], regcred.Namespaces.Exclude);
        Assert.Equal(["default"], regcred.ServiceAccounts);
        Assert.False(regcred.Namespaces.IsExplicitOnly);
        Assert.Equal(LineOf(Valid, "- name: regcred"), regcred.Location.Line);
        var other = config.Secrets[1];
        Assert.Equal("other", other.Name);
        Assert.Equal(["hub"], other.Registries);
        Assert.Empty(other.Namespaces.Names);
        Assert.Equal("env in (prod, staging)", other.Namespaces.Selector);
        Assert.Empty(other.Namespaces.Exclude);
        Assert.Empty(other.ServiceAccounts);
        Assert.Equal("secrets[1]", other.Location.Path);
    }

    [Fact]
    public void Parse_ValidConfig_ReadsSettings()
    {
        var config = Loader().Parse(Valid, FileName);

        Assert.Equal(new RotatorSettings
        {
            Concurrency = 4,
            RefreshBefore = TimeSpan.FromMinutes(90),
            Verify = true,
            Adopt = true,
            Prune = true,
            Timeout = TimeSpan.FromSeconds(90),
        }, config.Settings);
        Assert.Equal(new MetricsSettings(), config.Metrics);
    }

    [Fact]
    public void Parse_NoSettings_UsesDefaults()
    {
        var yaml = Valid[..Valid.IndexOf("settings:", StringComparison.Ordinal)];

        var config = Loader().Parse(yaml, FileName);

        Assert.Equal(16, config.Settings.Concurrency);
        Assert.Equal(TimeSpan.FromHours(1), config.Settings.RefreshBefore);
        Assert.False(config.Settings.Verify);
        Assert.False(config.Settings.Adopt);
        Assert.False(config.Settings.Prune);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Settings.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Settings.StaticRefreshInterval);
        Assert.All(config.Registries, r => Assert.Null(r.Schedule));
    }

    [Fact]
    public void Parse_DaemonFields_ReadsScheduleAndStaticRefreshInterval()
    {
        var yaml = Valid.Replace("    server: ghcr.io\n", "    server: ghcr.io\n    schedule: \"*/30 * * * *\"\n", StringComparison.Ordinal)
            .Replace("settings:\n", "settings:\n  staticRefreshInterval: 2m\n", StringComparison.Ordinal);

        var config = Loader().Parse(yaml, FileName);

        Assert.Equal("0 */30 * * * ?", config.Registries[0].Schedule!.CronExpressionString);
        Assert.Equal(TimeSpan.FromMinutes(2), config.Settings.StaticRefreshInterval);
    }

    [Fact]
    public void Parse_SomeSettings_DefaultsTheRest()
    {
        var yaml = Valid[..Valid.IndexOf("settings:", StringComparison.Ordinal)] + "settings:\n  refreshBefore: 2d\n  adopt: true\n";

        var settings = Loader().Parse(yaml, FileName).Settings;

        Assert.Equal(new RotatorSettings { RefreshBefore = TimeSpan.FromDays(2), Adopt = true }, settings);
    }

    [Fact]
    public void Parse_QpsAndBurst_Read()
    {
        var yaml = Valid[..Valid.IndexOf("settings:", StringComparison.Ordinal)] + "settings:\n  qps: 12.5\n  burst: 40\n";

        var settings = Loader().Parse(yaml, FileName).Settings;

        Assert.Equal(new RotatorSettings { Qps = 12.5, Burst = 40 }, settings);
        Assert.Equal((50d, 100), (new RotatorSettings().Qps, new RotatorSettings().Burst));
    }

    [Fact]
    public void Parse_EmptySettingsAndNullSections_AreDefaults()
    {
        var yaml = Valid[..Valid.IndexOf("settings:", StringComparison.Ordinal)] + "settings:\nmetrics: ~\n";

        var config = Loader().Parse(yaml, FileName);

        Assert.Equal(new RotatorSettings(), config.Settings);
        Assert.Equal(new MetricsSettings(), config.Metrics);
    }

    [Fact]
    public void Parse_Pushgateway_ReadsUrlAndInstance()
    {
        var yaml = Valid + "metrics:\n  pushgateway:\n    url: http://pushgateway:9091\n    instance: cluster-a\n";

        var metrics = Loader().Parse(yaml, FileName).Metrics;

        Assert.Equal(new Uri("http://pushgateway:9091"), metrics.PushgatewayUrl);
        Assert.Equal("cluster-a", metrics.Instance);
    }

    [Fact]
    public void Parse_SecretKeySource_ReadsNamespaceNameKey()
    {
        var yaml = Replace("password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: {secret: {namespace: ops, name: ghcr-token, key: token}}");

        var options = (StaticRegistryOptions)Loader().Parse(yaml, FileName).Registry("ghcr").Options;

        Assert.Equal(new ValueSource.SecretKey("ops", "ghcr-token", "token"), options.Password);
    }

    [Fact]
    public void Parse_ExactNamesOnly_IsExplicitOnly()
    {
        var yaml = Replace("names: [default, \"team-*\"]\n      selector: \"pull-secrets=enabled\"\n", "names: [default, apps]\n");

        var target = Loader().Parse(yaml, FileName).Secrets[0];

        Assert.True(target.Namespaces.IsExplicitOnly);
        Assert.Null(target.Namespaces.Selector);
    }

    [Fact]
    public void Parse_BomAndAnchors_AreAccepted()
    {
        // A BOM (Windows editors) and anchors reused as values are ordinary YAML and must keep working.
        var yaml = "\uFEFF" + Replace("names: [default, \"team-*\"]", "names: &shared [default, \"team-*\"]")
            .Replace("      selector: \"env in (prod, staging)\"\n", "      names: *shared\n", StringComparison.Ordinal);

        var config = Loader().Parse(yaml, FileName);

        Assert.Equal(["default", "team-*"], config.Secrets[1].Namespaces.Names);
    }

    [Fact]
    public void Load_ValidFile_ReportsItsPath()
    {
        var path = Path.Combine(ConfigDirectory, $"valid-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, Valid);
        try
        {
            var config = Loader().Load(path);

            Assert.Equal(path, config.File);
            Assert.Equal(path, config.Secrets[0].Location.File);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
