using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Reads a kubeconfig with a plain YamlDotNet deserializer into the client library's own model. The library's
/// <c>BuildConfigFromConfigFile</c> goes through <c>KubernetesYaml</c>, whose set-up reflects over every API model
/// type (hundreds of them) before reading a ten-line file: most of the tool's start-up. The kubeconfig model carries
/// its own YAML names, so nothing else is needed; the client library still interprets the result (contexts, exec and
/// token auth, certificates relative to the file).
/// </summary>
public static class KubeconfigLoader
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().IgnoreUnmatchedProperties().Build();

    public static KubernetesClientConfiguration Load(string path, string? context)
    {
        if (!File.Exists(path)) throw new KubeConfigException($"kubeconfig {path} does not exist");
        K8SConfiguration? model;
        try
        {
            using var reader = File.OpenText(path);
            model = Deserializer.Deserialize<K8SConfiguration?>(reader);
        }
        catch (YamlException e)
        {
            throw new KubeConfigException($"kubeconfig {path} is not valid YAML: {e.Message}");
        }
        if (model is null) throw new KubeConfigException($"kubeconfig {path} is empty");
        model.FileName = Path.GetFullPath(path);
        return KubernetesClientConfiguration.BuildConfigFromConfigObject(model, context);
    }
}
