using System.Text.RegularExpressions;
using SecretRotator.Tests.Fakes.Telemetry;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Telemetry;

/// <summary>The shipped rules file, checked and unit-tested by the real promtool.</summary>
public sealed partial class PrometheusRulesTests
{
    private static readonly string FilesDir = Path.Combine(ExternalTool.RepoRoot(), "helm", "secret-rotator", "files");
    private static readonly string RulesFile = Path.Combine(FilesDir, "prometheus-rules.yaml");
    private static readonly string RulesTestFile = Path.Combine(FilesDir, "tests", "prometheus-rules.test.yaml");

    /// <summary>Every alert the shipped rules define, read from the file: a new alert cannot miss the checks below.</summary>
    public static TheoryData<string> Alerts() =>
        [.. Rules().Where(r => r.Children.ContainsKey("alert")).Select(r => r["alert"].ToString())];

    [Fact]
    public void Alerts_ShippedRules_AreTheDocumentedEight() =>
        Assert.Equal(
            ["SecretRotatorAbsent", "SecretRotatorJobFailed", "SecretRotatorLeaderElectionStale", "SecretRotatorNamespaceSlowToGetSecret",
             "SecretRotatorRotationFailing", "SecretRotatorStale", "SecretRotatorTokenExpiringSoon", "SecretRotatorWatchForbidden"],
            Alerts().Select(row => row.Data).Order(StringComparer.Ordinal));

    [Fact]
    public async Task PromtoolCheckRules_ShippedRules_Succeeds()
    {
        var promtool = ExternalTool.Require("promtool");

        var result = await ExternalTool.RunAsync(promtool, ["check", "rules", RulesFile], FilesDir, TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS: 8 rules found", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromtoolTestRules_ShippedRulesAndTests_AllPass()
    {
        var promtool = ExternalTool.Require("promtool");

        var result = await ExternalTool.RunAsync(promtool, ["test", "rules", RulesTestFile], FilesDir, TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromtoolTestRules_ThresholdChanged_Fails()
    {
        // Proves the promtool tests bind to the shipped thresholds: a copy with a looser expiry threshold must fail them.
        var promtool = ExternalTool.Require("promtool");
        var dir = Directory.CreateTempSubdirectory("secret-rotator-rules-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "tests"));
            var rules = await File.ReadAllTextAsync(RulesFile, TestContext.Current.CancellationToken);
            Assert.Contains("< 30 * 60", rules, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(dir, "prometheus-rules.yaml"), rules.Replace("< 30 * 60", "< 10 * 60", StringComparison.Ordinal), TestContext.Current.CancellationToken);
            File.Copy(RulesTestFile, Path.Combine(dir, "tests", "prometheus-rules.test.yaml"));

            var result = await ExternalTool.RunAsync(promtool, ["test", "rules", Path.Combine(dir, "tests", "prometheus-rules.test.yaml")], dir, TestContext.Current.CancellationToken);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("alertname: SecretRotatorTokenExpiringSoon", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Alerts))]
    public void RulesTestFile_EachAlert_HasAFiringAndAQuietCase(string alert)
    {
        var cases = LoadYaml(RulesTestFile)["tests"].AllNodes.OfType<YamlMappingNode>()
            .Where(n => n.Children.ContainsKey("alertname") && n["alertname"].ToString() == alert)
            .Select(n => ((YamlSequenceNode)n["exp_alerts"]).Children.Count).ToList();

        Assert.Contains(cases, count => count > 0);
        Assert.Contains(cases, count => count == 0);
    }

    [Theory]
    [MemberData(nameof(Alerts))]
    public void Rules_EachAlert_HasSeveritySummaryDescriptionAndRunbook(string alert)
    {
        var rule = Rules().Single(r => r.Children.ContainsKey("alert") && r["alert"].ToString() == alert);

        Assert.Contains(((YamlMappingNode)rule["labels"])["severity"].ToString(), new[] { "warning", "critical" });
        var annotations = (YamlMappingNode)rule["annotations"];
        Assert.All(["summary", "description", "runbook"], key => Assert.False(string.IsNullOrWhiteSpace(annotations[key].ToString()), key));
    }

    [Fact]
    public async Task Rules_MetricNames_AreAllExportedByTheRotator()
    {
        var exported = await TelemetryHost.ExportedSampleNamesAsync();

        var used = Rules().SelectMany(r => MetricName().Matches(r["expr"].ToString()).Select(m => m.Value)).ToHashSet();

        Assert.Superset(new HashSet<string> { "secret_rotator_secret_failures_total", "secret_rotator_token_expiry_timestamp_seconds",
            "secret_rotator_last_success_timestamp_seconds", "secret_rotator_run_duration_seconds_count" }, used);
        Assert.Subset(exported, used);
    }

    private static IEnumerable<YamlMappingNode> Rules() =>
        ((YamlSequenceNode)LoadYaml(RulesFile)["groups"]).Children.OfType<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Children.OfType<YamlMappingNode>());

    private static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = File.OpenText(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"\bsecret_rotator_[a-z0-9_]+")]
    internal static partial Regex MetricName();
}
