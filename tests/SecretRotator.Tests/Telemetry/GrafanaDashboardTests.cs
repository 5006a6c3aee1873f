using System.Text.Json.Nodes;
using SecretRotator.Tests.Fakes.Telemetry;

namespace SecretRotator.Tests.Telemetry;

public sealed class GrafanaDashboardTests
{
    private static readonly string DashboardFile = Path.Combine(ExternalTool.RepoRoot(), "helm", "secret-rotator", "files", "grafana-dashboard.json");

    [Fact]
    public async Task Dashboard_EveryQuery_UsesOnlyExportedMetricNames()
    {
        var exported = await TelemetryHost.ExportedSampleNamesAsync();
        var queries = Queries(JsonNode.Parse(await File.ReadAllTextAsync(DashboardFile, TestContext.Current.CancellationToken))!).ToList();

        var used = queries.SelectMany(q => PrometheusRulesTests.MetricName().Matches(q).Select(m => m.Value)).ToHashSet();

        Assert.True(queries.Count >= 6, $"only {queries.Count} queries found");
        Assert.Subset(exported, used);
    }

    [Theory]
    [InlineData("secret_rotator_token_expiry_timestamp_seconds")]
    [InlineData("secret_rotator_secret_failures_total")]
    [InlineData("secret_rotator_last_success_timestamp_seconds")]
    [InlineData("secret_rotator_run_duration_seconds_bucket")]
    [InlineData("secret_rotator_run_duration_seconds_sum")]
    [InlineData("secret_rotator_namespace_ready_seconds_bucket")]
    public async Task Dashboard_RequiredPanels_QueryTheirMetric(string metric)
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(DashboardFile, TestContext.Current.CancellationToken))!;

        Assert.Contains(Queries(dashboard["panels"]!), q => PrometheusRulesTests.MetricName().Matches(q).Any(m => m.Value == metric));
    }

    /// <summary>Every PromQL string: panel targets' "expr" and templating "query"/"definition".</summary>
    private static IEnumerable<string> Queries(JsonNode node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key is "expr" or "definition" && p.Value is JsonValue v
            ? [v.GetValue<string>()]
            : p.Key == "query" && p.Value is JsonValue q && q.GetValue<string>() != "prometheus" ? [q.GetValue<string>()]
            : p.Value is null ? [] : Queries(p.Value)),
        JsonArray array => array.OfType<JsonNode>().SelectMany(Queries),
        _ => [],
    };
}
