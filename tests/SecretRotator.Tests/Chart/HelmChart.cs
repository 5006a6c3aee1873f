using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using SecretRotator.Tests.EndToEnd;
using SecretRotator.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Chart;

/// <summary>
/// Drives the real helm binary (.tools/bin, from scripts/install-k8s-tools.sh) over helm/secret-rotator and parses what
/// it renders. Renders of the ci/ value sets are cached: several test classes assert on the same output.
/// </summary>
internal static class HelmChart
{
    public const string Release = "rotator";
    public const string Namespace = "secret-rotator";

    private static readonly ConcurrentDictionary<string, Lazy<Task<Rendered>>> Cache = new(StringComparer.Ordinal);

    public static string Directory { get; } = Path.Combine(TestData.RepoRoot, "helm", "secret-rotator");

    /// <summary>The value sets in the chart's ci/ folder (file names), each a supported way to install.</summary>
    public static IReadOnlyList<string> ValueSetNames { get; } =
        [.. System.IO.Directory.GetFiles(Path.Combine(Directory, "ci"), "*-values.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    public static TheoryData<string> ValueSets() => [.. ValueSetNames];

    public static string Helm() => RequiredTool.Find("helm", "run scripts/install-k8s-tools.sh", RequiredTool.IsCi);

    public static Task<ToolResult> RunAsync(IEnumerable<string> args) =>
        ExternalTool.RunAsync(Helm(), args, TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

    /// <summary><c>helm template</c> with a ci/ value set (cached), failing the test when helm fails.</summary>
    public static Task<Rendered> TemplateAsync(string valueSet)
    {
        var helm = Helm(); // resolve (or skip) outside the cached task
        return Cache.GetOrAdd(valueSet, v => new Lazy<Task<Rendered>>(async () =>
        {
            var result = await ExternalTool.RunAsync(helm, TemplateArgs("-f", Path.Combine(Directory, "ci", v)), TimeSpan.FromMinutes(2), CancellationToken.None);
            Assert.True(result.ExitCode == 0, $"helm template -f ci/{v}: {result}");
            return Rendered.Parse(result.Stdout);
        })).Value;
    }

    /// <summary><c>helm template</c> with extra arguments (e.g. --set), not cached; the raw result.</summary>
    public static Task<ToolResult> TemplateRawAsync(params string[] extra) => RunAsync(TemplateArgs(extra));

    /// <summary><c>helm template</c> with an extra values file holding <paramref name="valuesYaml"/>, not cached.</summary>
    public static async Task<ToolResult> TemplateWithValuesAsync(string valuesYaml, params string[] extra)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("secret-rotator-values-");
        try
        {
            var file = Path.Combine(dir.FullName, "values.yaml");
            await File.WriteAllTextAsync(file, valuesYaml, TestContext.Current.CancellationToken);
            return await RunAsync(TemplateArgs(["-f", file, .. extra]));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string[] TemplateArgs(params string[] extra) =>
        ["template", Release, Directory, "--namespace", Namespace, .. extra];
}

/// <summary>One document of helm's output: its kind, text, and (for built-in kinds) the strictly deserialized model.</summary>
internal sealed record RenderedDocument(string Kind, string Name, string Yaml, object? Model, YamlMappingNode Node);

internal sealed record Rendered(IReadOnlyList<RenderedDocument> Documents)
{
    /// <summary>Custom resources the KubernetesClient models do not cover; checked by their own tests.</summary>
    public static readonly IReadOnlySet<string> CustomKinds = new HashSet<string>(StringComparer.Ordinal) { "PrometheusRule", "ServiceMonitor", "Issuer", "Certificate" };

    public IEnumerable<T> Of<T>() => Documents.Select(d => d.Model).OfType<T>();

    public T Single<T>() => Assert.Single(Of<T>());

    public RenderedDocument? Custom(string kind) => Documents.SingleOrDefault(d => d.Kind == kind);

    /// <summary>Every pod spec: CronJob's job template, the hook Job, the Deployment.</summary>
    public IEnumerable<(string Owner, V1PodSpec Spec, V1ObjectMeta Meta)> PodSpecs() =>
        Of<V1CronJob>().Select(c => ($"CronJob {c.Metadata.Name}", c.Spec.JobTemplate.Spec.Template.Spec, c.Spec.JobTemplate.Spec.Template.Metadata))
            .Concat(Of<V1Job>().Select(j => ($"Job {j.Metadata.Name}", j.Spec.Template.Spec, j.Spec.Template.Metadata)))
            .Concat(Of<V1Deployment>().Select(d => ($"Deployment {d.Metadata.Name}", d.Spec.Template.Spec, d.Spec.Template.Metadata)));

    /// <summary>The config file the pods mount.</summary>
    public string ConfigYaml => Of<V1ConfigMap>().Single(c => c.Data.ContainsKey("config.yaml")).Data["config.yaml"];

    /// <summary>
    /// Splits and parses. Built-in kinds go through KubernetesYaml in strict mode: an unknown or misspelt field
    /// anywhere in the document throws, so a template typo cannot ship as a silently dropped setting.
    /// </summary>
    public static Rendered Parse(string output)
    {
        var documents = new List<RenderedDocument>();
        foreach (var text in SplitDocuments(output))
        {
            var parsed = new YamlStream();
            parsed.Load(new StringReader(text));
            if (parsed.Documents.Count == 0 || parsed.Documents[0].RootNode is not YamlMappingNode node) continue;
            var kind = ((YamlScalarNode)node["kind"]).Value!;
            var name = ((YamlScalarNode)((YamlMappingNode)node["metadata"])["name"]).Value!;
            var model = CustomKinds.Contains(kind) ? null : Strict(text);
            documents.Add(new RenderedDocument(kind, name, text, model, node));
        }
        return new Rendered(documents);
    }

    public static object Strict(string yaml) => Assert.Single(KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true));

    private static IEnumerable<string> SplitDocuments(string output) =>
        output.Split("\n---", StringSplitOptions.RemoveEmptyEntries)
            .Where(d => d.Split('\n').Any(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("---", StringComparison.Ordinal)));
}
