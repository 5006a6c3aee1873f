namespace SecretRotator.Tests.Chart;

/// <summary>values.schema.json rejects what the chart cannot honour, before anything is rendered.</summary>
public sealed class ChartValuesTests
{
    [Theory]
    [InlineData("mode=cronjobb", "mode")]
    [InlineData("colour=blue", "colour")]
    [InlineData("rbac.scope=everything", "scope")]
    [InlineData("serviceAccount.anotations.a=b", "anotations")]
    [InlineData("config.settings.prun=true", "prun")]
    [InlineData("config.settings.refreshBefore=soon", "refreshBefore")]
    public async Task Template_BadValue_RejectedBySchema(string set, string named)
    {
        var result = await HelmChart.TemplateRawAsync("--set", set);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("schema", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("password: hunter2", "/config/registries/0")]                       // a literal password
    [InlineData("password: {env: ''}", "/config/registries/0")]
    [InlineData("password: {env: A, file: b}", "/config/registries/0")]             // exactly one source
    [InlineData("password: {secret: {namespace: a, name: b}}", "key")]
    [InlineData("region: us-east-1", "region")]                                     // an ecr field on a static registry
    [InlineData("namepsaces: {}", "namepsaces")]
    public async Task Template_BadConfig_RejectedBySchema(string line, string named)
    {
        var registryLine = line.StartsWith("password", StringComparison.Ordinal) ? line : "password: {env: T}";
        var extraRegistryLine = line.StartsWith("region", StringComparison.Ordinal) ? line : "email: bot@example.com";
        var extraSecretLine = line.StartsWith("namepsaces", StringComparison.Ordinal) ? line : "serviceAccounts: [default]";
        var result = await HelmChart.TemplateWithValuesAsync(string.Join('\n',
            "config:",
            "  registries:",
            "    - name: ghcr",
            "      type: static",
            "      server: ghcr.io",
            "      username: bot",
            $"      {registryLine}",
            $"      {extraRegistryLine}",
            "  secrets:",
            "    - name: regcred",
            "      registries: [ghcr]",
            "      namespaces: {names: [default]}",
            $"      {extraSecretLine}"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("schema", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_UnknownRegistryType_RejectedBySchema()
    {
        var result = await HelmChart.TemplateWithValuesAsync("""
            config:
              registries: [{name: q, type: quay, server: quay.io}]
              secrets: [{name: regcred, registries: [q], namespaces: {names: [default]}}]
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("/config/registries/0/type", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_NamespacedScopeWithGlob_FailsWithAdvice()
    {
        var result = await HelmChart.TemplateWithValuesAsync("""
            rbac: {scope: namespaced}
            config:
              registries: [{name: ghcr, type: static, server: ghcr.io, username: bot, password: {env: T}}]
              secrets: [{name: regcred, registries: [ghcr], namespaces: {names: ["team-*"]}}]
            """);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("use rbac.scope=cluster", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*/30 * * * *", 1800)]
    [InlineData("*/10 * * * *", 900)]
    public async Task Template_DeadlineNotBelowInterval_Fails(string schedule, int deadline)
    {
        var result = await HelmChart.TemplateRawAsync("--set-string", $"schedule={schedule}", "--set", $"cronjob.activeDeadlineSeconds={deadline}");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("must stay below the schedule interval", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_DeadlineBelowInterval_Renders()
    {
        var result = await HelmChart.TemplateRawAsync("--set-string", "schedule=*/10 * * * *", "--set", "cronjob.activeDeadlineSeconds=540");

        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
