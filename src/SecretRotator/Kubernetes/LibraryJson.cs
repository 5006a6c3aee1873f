using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.KubeConfigModels;
using k8s.Models;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Source-generated JSON metadata for the types KubernetesClient decodes outside its own generated context: watch
/// events (the daemon's watches), the exec credential plugin's answer and the untyped object a watch error is first
/// read as. The library falls back to reflection for these, which a Native AOT build cannot rely on (a trimmed setter
/// decodes as null, silently). Put in front of the library's resolver chain before its options are first used.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    Converters = [typeof(KubernetesJson.Iso8601TimeSpanConverter), typeof(KubernetesJson.KubernetesDateTimeConverter),
        typeof(KubernetesJson.KubernetesDateTimeOffsetConverter)])]
[JsonSerializable(typeof(Watcher<V1Namespace>.WatchEvent))]
[JsonSerializable(typeof(Watcher<V1Secret>.WatchEvent))]
[JsonSerializable(typeof(Watcher<V1ServiceAccount>.WatchEvent))]
[JsonSerializable(typeof(Watcher<KubernetesObject>.WatchEvent))]
[JsonSerializable(typeof(Watcher<V1Status>.WatchEvent))]
[JsonSerializable(typeof(ExecCredentialResponse))]
[JsonSerializable(typeof(KubernetesObject))]
internal sealed partial class LibraryJson : JsonSerializerContext
{
    /// <summary>The types above; a test checks each resolves here, not through reflection.</summary>
    internal static readonly Type[] Types =
    [
        typeof(Watcher<V1Namespace>.WatchEvent), typeof(Watcher<V1Secret>.WatchEvent), typeof(Watcher<V1ServiceAccount>.WatchEvent),
        typeof(Watcher<KubernetesObject>.WatchEvent), typeof(Watcher<V1Status>.WatchEvent), typeof(ExecCredentialResponse),
        typeof(KubernetesObject),
    ];

    /// <summary>Runs when this assembly loads, so before the CLI or the daemon touches the library.</summary>
    [ModuleInitializer]
    internal static void Install() => KubernetesJson.AddJsonOptions(options =>
    {
        // Already used (only in tests: a fake API server in the same process serialized first): keep the library's.
        if (options.IsReadOnly || options.TypeInfoResolverChain.Contains(Default)) return;
        options.TypeInfoResolverChain.Insert(0, Default);
    });
}
