using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecretRotator.Configuration;
using SecretRotator.Webhook;

namespace SecretRotator.Tests.Webhook;

/// <summary>AdmissionReviews as the API server sends them, and a one-target config to mutate against.</summary>
internal static class AdmissionTestReviews
{
    private static readonly SourceLocation Here = new("test.yaml", 1, 1, "secrets[0]");

    /// <summary>regcred from registry hub (registry.example.com) into team-* namespaces, added to service account "builder".</summary>
    public static RotatorConfig Config(string? selector = null) => new("test.yaml",
        [new RegistryDefinition("hub", "static", new object(), Here)],
        [new SecretTarget("regcred", ["hub"], new NamespaceSelection(["team-*"], selector, []), ["builder"], Here)],
        new RotatorSettings(), new MetricsSettings());

    public const string PrivateImage = "registry.example.com/team/app:1.0";

    public static string Pod(string ns, string[] images, string[]? pullSecrets = null, string serviceAccount = "default", bool dryRun = false,
        string uid = "0a1b2c3d-0000-4000-8000-000000000001")
    {
        var spec = new JsonObject
        {
            ["serviceAccountName"] = serviceAccount,
            ["containers"] = new JsonArray([.. images.Select((image, i) => (JsonNode)new JsonObject { ["name"] = $"c{i}", ["image"] = image })]),
        };
        if (pullSecrets is not null) spec["imagePullSecrets"] = new JsonArray([.. pullSecrets.Select(s => (JsonNode)new JsonObject { ["name"] = s })]);
        return Review(uid, "Pod", "pods", ns, "app", dryRun, new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = new JsonObject { ["name"] = "app", ["namespace"] = ns }, ["spec"] = spec,
        });
    }

    public static string ServiceAccount(string ns, string name, string[]? pullSecrets = null, bool dryRun = false, string uid = "0a1b2c3d-0000-4000-8000-000000000002")
    {
        var account = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns } };
        if (pullSecrets is not null) account["imagePullSecrets"] = new JsonArray([.. pullSecrets.Select(s => (JsonNode)new JsonObject { ["name"] = s })]);
        return Review(uid, "ServiceAccount", "serviceaccounts", ns, name, dryRun, account);
    }

    private static string Review(string uid, string kind, string resource, string ns, string name, bool dryRun, JsonObject obj) => new JsonObject
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = kind },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = resource },
            ["name"] = name,
            ["namespace"] = ns,
            ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller" },
            ["object"] = obj,
            ["oldObject"] = null,
            ["dryRun"] = dryRun,
        },
    }.ToJsonString();

    public static AdmissionRequest Request(string review) =>
        JsonSerializer.Deserialize(review, AdmissionJson.Default.AdmissionReview)!.Request!;

    public static Stream Body(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    /// <summary>The patch operations as compact JSON text, for exact comparison.</summary>
    public static string PatchText(byte[]? patch) => patch is null ? "" : Encoding.UTF8.GetString(patch);
}
