using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Registries;

namespace SecretRotator.Tests.Chart;

/// <summary>
/// The config JSON Schema inside the chart's values.schema.json (definitions.config) and the loader accept the same
/// fields: the loader's side is what it really reads (<see cref="ConfigKeyRecorder"/> over one parse of a config with
/// every registry type and every value-source kind), the schema's side is a walk of the schema.
/// </summary>
public sealed partial class ConfigSchemaSyncTests
{
    private const string Probe = """
        registries:
          - {name: s1, type: static, server: a.io, username: u, password: {env: SR_PROBE_UNSET}, email: e@x, images: [a.io/app], schedule: "0 0 * * * ?"}
          - {name: s2, type: static, server: a.io, username: {env: SR_PROBE_UNSET}, password: {file: missing.txt}}
          - {name: s3, type: static, server: a.io, username: {file: missing.txt}, password: {secret: {namespace: n, name: s, key: k}}}
          - {name: s4, type: static, server: a.io, username: {secret: {namespace: n, name: s, key: k}}, password: {env: SR_PROBE_UNSET}}
          - {name: e1, type: ecr, region: us-east-1}
          - {name: e2, type: ecr-public}
          - {name: a1, type: acr, server: r.azurecr.io}
          - {name: g1, type: gcr, servers: [gcr.io], stsAudience: "//iam.googleapis.com/x", stsEndpoint: "https://sts.example/v1/token"}
          - {name: m1, type: mirror, source: {namespace: n, name: s}}
        secrets:
          - name: regcred
            registries: [s1]
            namespaces: {names: [default]}
        settings: {staticRefreshInterval: 5m, qps: 50, burst: 100}
        metrics: {pushgateway: {url: "http://p:9091"}}
        """;

    [Fact]
    public void Schema_LoaderVocabulary_SameFieldsBothWays()
    {
        var loader = LoaderKeys();
        var schema = SchemaKeys();

        // A mirror's loader looks for `server` only to reject it with a clear message; the schema forbids it.
        Assert.DoesNotContain("registries[mirror].server", schema);
        loader.Remove("registries[mirror].server");
        Assert.Empty(loader.Except(schema).Order(StringComparer.Ordinal));                         // read by the loader, missing in the schema
        Assert.Empty(schema.Except(loader).Order(StringComparer.Ordinal)); // in the schema, unknown to the loader
    }

    [Fact]
    public void Schema_RegistryTypes_EveryLoaderTypeInSchemaAndProbe()
    {
        var providers = new ServiceCollection().AddSecretRotator().BuildServiceProvider().GetServices<IRegistryProvider>().Select(p => p.Type).ToHashSet(StringComparer.Ordinal);
        var schemaTypes = SchemaRoot()["definitions"]!["registry"]!["properties"]!["type"]!["enum"]!.AsArray().Select(t => (string)t!).ToHashSet(StringComparer.Ordinal);
        var probeTypes = TypeField().Matches(Probe).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.Subset(schemaTypes, providers);
        Assert.Subset(probeTypes, providers);
        Assert.Empty(schemaTypes.Except(providers)); // a schema type the loader does not know
    }

    [Fact]
    public void LoaderKeys_UnknownFieldInProbe_NotRecordedAsKnown()
    {
        // Proves the recorder sees only what the loader asks for: a key it never reads does not show up.
        var keys = LoaderKeys(Probe.Replace("settings: {staticRefreshInterval", "settings: {pruneEverything: true, staticRefreshInterval", StringComparison.Ordinal));

        Assert.Contains("settings.prune", keys);
        Assert.DoesNotContain("settings.pruneEverything", keys);
    }

    private static HashSet<string> LoaderKeys(string probe = Probe)
    {
        var loader = new ServiceCollection().AddSecretRotator().BuildServiceProvider().GetRequiredService<ConfigLoader>();
        var recorded = ConfigKeyRecorder.Record(() =>
        {
            try { loader.Parse(probe, Path.Combine(Path.GetTempPath(), "probe.yaml")); }
            catch (ConfigException) { } // missing env vars and files are expected; only the keys asked for matter here
        });
        var types = TypeField().Matches(probe).Select(m => m.Groups[1].Value).ToList();
        return recorded.Select(k => Join(Index().Replace(k.Path, m => m.Groups[1].Value == "registries" ? $"registries[{types[int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)]}]" : $"{m.Groups[1].Value}[]"), k.Key))
            .ToHashSet(StringComparer.Ordinal);
    }

    private static HashSet<string> SchemaKeys()
    {
        var root = SchemaRoot();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        Walk(root, root["definitions"]!["config"]!, "", keys);
        return keys;
    }

    private static void Walk(JsonNode root, JsonNode node, string path, HashSet<string> keys)
    {
        if (node["$ref"] is { } reference)
        {
            node = root["definitions"]![((string)reference!).Split('/')[^1]]!;
        }
        foreach (var branch in (node["oneOf"]?.AsArray() ?? []).Concat(node["anyOf"]?.AsArray() ?? []))
            Walk(root, branch!, path, keys);
        foreach (var typed in node["allOf"]?.AsArray() ?? [])
        {
            // registries[]: one branch per type, each with its own closed set of properties.
            var type = (string)typed!["if"]!["properties"]!["type"]!["const"]!;
            Walk(root, typed["then"]!, path[..^2] + $"[{type}]", keys);
        }
        if (node["items"] is { } items) Walk(root, items, path + "[]", keys);
        foreach (var (key, child) in node["properties"]?.AsObject() ?? [])
        {
            if (path.EndsWith("[]", StringComparison.Ordinal) && node["allOf"] is not null) continue; // the untyped base of registries[]
            keys.Add(Join(path, key));
            Walk(root, child!, Join(path, key), keys);
        }
    }

    private static JsonNode SchemaRoot() => JsonNode.Parse(File.ReadAllText(Path.Combine(HelmChart.Directory, "values.schema.json")))!;

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    [GeneratedRegex(@"([A-Za-z]+)\[(\d+)\]")]
    private static partial Regex Index();

    [GeneratedRegex(@"type: ([a-z-]+)")]
    private static partial Regex TypeField();
}
