using System.Text.Json;
using System.Text.Json.Serialization;

namespace SecretRotator.Webhook;

/// <summary>
/// <c>admission.k8s.io/v1</c> AdmissionReview, as much of it as the webhook reads and writes. The object under review
/// is kept as raw JSON and read into the small shapes below: only the fields the mutation needs are decoded.
/// </summary>
public sealed class AdmissionReview
{
    public const string ApiVersionV1 = "admission.k8s.io/v1";

    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public AdmissionRequest? Request { get; set; }
    public AdmissionResponse? Response { get; set; }
}

public sealed class AdmissionRequest
{
    public string? Uid { get; set; }
    public GroupVersionKind? Kind { get; set; }
    public string? Namespace { get; set; }
    public string? Name { get; set; }
    /// <summary>CREATE, UPDATE, DELETE or CONNECT.</summary>
    public string? Operation { get; set; }
    /// <summary>The object being admitted (JSON "object").</summary>
    [JsonPropertyName("object")]
    public JsonElement? Body { get; set; }
    public bool? DryRun { get; set; }
}

public sealed class GroupVersionKind
{
    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Kind { get; set; }
}

public sealed class AdmissionResponse
{
    /// <summary>Must echo the request's uid: the API server drops a response that does not.</summary>
    public string Uid { get; set; } = "";
    public bool Allowed { get; set; }
    /// <summary>"JSONPatch", the only type admission.k8s.io/v1 defines; absent without a patch.</summary>
    public string? PatchType { get; set; }
    /// <summary>The RFC 6902 patch; System.Text.Json writes a byte array as base64, which is what the API server expects.</summary>
    public byte[]? Patch { get; set; }
}

/// <summary>The parts of a Pod the mutation reads.</summary>
public sealed class PodShape
{
    public PodSpecShape? Spec { get; set; }
}

public sealed class PodSpecShape
{
    public string? ServiceAccountName { get; set; }
    public List<NameReference?>? ImagePullSecrets { get; set; }
    public List<ContainerShape?>? Containers { get; set; }
    public List<ContainerShape?>? InitContainers { get; set; }
    public List<ContainerShape?>? EphemeralContainers { get; set; }
}

public sealed class ContainerShape
{
    public string? Image { get; set; }
}

/// <summary>The parts of a ServiceAccount the mutation reads.</summary>
public sealed class ServiceAccountShape
{
    public ObjectMetaShape? Metadata { get; set; }
    public List<NameReference?>? ImagePullSecrets { get; set; }
}

public sealed class ObjectMetaShape
{
    public string? Name { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>A LocalObjectReference: <c>{"name": "regcred"}</c>.</summary>
public sealed class NameReference
{
    public string? Name { get; set; }
}

/// <summary>Source-generated (reflection-free, Native AOT-safe) JSON for the webhook's wire format.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdmissionReview))]
[JsonSerializable(typeof(PodShape))]
[JsonSerializable(typeof(ServiceAccountShape))]
internal sealed partial class AdmissionJson : JsonSerializerContext;
