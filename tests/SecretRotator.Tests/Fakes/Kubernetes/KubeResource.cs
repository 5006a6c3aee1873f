using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>A core/v1 resource the fake serves, with the server-side defaulting and validation that matters to the rotator.</summary>
internal sealed partial record KubeResource(string Plural, string Kind, bool Namespaced, string ApiVersion = "v1")
{
    public static readonly KubeResource Namespaces = new("namespaces", "Namespace", false);
    public static readonly KubeResource Secrets = new("secrets", "Secret", true);
    public static readonly KubeResource ServiceAccounts = new("serviceaccounts", "ServiceAccount", true);
    /// <summary>coordination.k8s.io/v1 Lease, for leader election (served under /apis/coordination.k8s.io/v1).</summary>
    public static readonly KubeResource Leases = new("leases", "Lease", true, "coordination.k8s.io/v1");

    public static KubeResource? Find(string plural) => plural switch
    {
        "namespaces" => Namespaces,
        "secrets" => Secrets,
        "serviceaccounts" => ServiceAccounts,
        "leases" => Leases,
        _ => null,
    };

    public string ListKind => Kind + "List";

    private const int MaxSecretBytes = 1024 * 1024;

    /// <summary>Defaulting the apiserver applies on every write (create and update).</summary>
    public void Normalize(JsonObject obj, string name)
    {
        obj["kind"] = Kind;
        obj["apiVersion"] = ApiVersion;
        if (this == Secrets)
        {
            // stringData is write-only: merged into data (base64) and dropped, as the apiserver does.
            if (obj["stringData"] is JsonObject stringData)
            {
                var data = obj["data"] as JsonObject ?? [];
                foreach (var (key, value) in stringData)
                {
                    data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? ""));
                }
                obj["data"] = data;
                obj.Remove("stringData");
            }
            obj["type"] ??= "Opaque";
        }
        else if (this == Namespaces)
        {
            var metadata = (JsonObject)obj["metadata"]!;
            var labels = metadata["labels"] as JsonObject ?? [];
            labels["kubernetes.io/metadata.name"] = name; // set by the NamespaceDefaultLabelName admission since 1.21
            metadata["labels"] = labels;
            obj["spec"] ??= new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            obj["status"] ??= new JsonObject { ["phase"] = "Active" };
        }
    }

    public void ValidateCreate(JsonObject obj, string name)
    {
        var pattern = Namespaced ? DnsSubdomain() : DnsLabel();
        if (name.Length > 253 || !pattern.IsMatch(name))
        {
            throw KubeStatus.Invalid(Kind, name, "metadata.name", "FieldValueInvalid",
                $"Invalid value: \"{name}\": a lowercase RFC 1123 {(Namespaced ? "subdomain" : "label")} must consist of lower case alphanumeric characters, '-'{(Namespaced ? " or '.'" : "")}, and must start and end with an alphanumeric character");
        }
        ValidateSecretContent(obj, name);
    }

    public void ValidateUpdate(JsonObject current, JsonObject updated, string name)
    {
        if (this != Secrets)
        {
            return;
        }
        var newType = updated["type"]?.GetValue<string>() ?? "Opaque";
        if (current["type"]?.GetValue<string>() != newType)
        {
            throw KubeStatus.Invalid(Kind, name, "type", "FieldValueInvalid", $"Invalid value: \"{newType}\": field is immutable");
        }
        if (current["immutable"]?.GetValue<bool>() == true)
        {
            if (!JsonNode.DeepEquals(current["data"], updated["data"]))
            {
                throw KubeStatus.Invalid(Kind, name, "data", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set");
            }
            if (updated["immutable"]?.GetValue<bool>() != true)
            {
                throw KubeStatus.Invalid(Kind, name, "immutable", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set");
            }
        }
        ValidateSecretContent(updated, name);
    }

    private void ValidateSecretContent(JsonObject obj, string name)
    {
        if (this != Secrets)
        {
            return;
        }
        var data = obj["data"] as JsonObject ?? [];
        var total = 0;
        foreach (var (_, value) in data)
        {
            total += Convert.FromBase64String(value?.GetValue<string>() ?? "").Length;
        }
        if (total > MaxSecretBytes)
        {
            throw KubeStatus.Invalid(Kind, name, "data", "FieldValueTooLong", $"Too long: must have at most {MaxSecretBytes} bytes");
        }
        if (obj["type"]?.GetValue<string>() != "kubernetes.io/dockerconfigjson")
        {
            return;
        }
        const string field = "data[.dockerconfigjson]";
        if (data[".dockerconfigjson"]?.GetValue<string>() is not { } encoded)
        {
            throw KubeStatus.Invalid(Kind, name, field, "FieldValueRequired", "Required value");
        }
        try
        {
            using var _ = JsonDocument.Parse(Convert.FromBase64String(encoded));
        }
        catch (JsonException e)
        {
            throw KubeStatus.Invalid(Kind, name, field, "FieldValueInvalid", $"Invalid value: \"<secret contents redacted>\": {e.Message}");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
