using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.KubeConfigModels;
using k8s.Models;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

public sealed class LibraryJsonTests
{
    [Fact]
    public void GetTypeInfo_EveryLibraryFallbackType_ComesFromGeneratedCode()
    {
        foreach (var type in LibraryJson.Types)
        {
            var info = LibraryJson.Default.GetTypeInfo(type);

            Assert.NotNull(info);
            // Generated metadata carries its property list; reflection metadata would come from another resolver.
            Assert.Same(LibraryJson.Default.Options, info.Options);
        }
    }

    [Fact]
    public void Deserialize_WatchEventLine_ReadsTypeAndObject()
    {
        var line = """{"type":"BOOKMARK","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"regcred","namespace":"team-a","resourceVersion":"42"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}}""";
        var info = (JsonTypeInfo<Watcher<V1Secret>.WatchEvent>)LibraryJson.Default.GetTypeInfo(typeof(Watcher<V1Secret>.WatchEvent))!;

        var watchEvent = JsonSerializer.Deserialize(line, info)!;

        Assert.Equal(WatchEventType.Bookmark, watchEvent.Type);
        Assert.Equal("42", watchEvent.Object.Metadata.ResourceVersion);
        Assert.Equal("{}", Encoding.UTF8.GetString(watchEvent.Object.Data[".dockerconfigjson"]));
    }

    [Fact]
    public void Deserialize_ExecCredentialResponse_ReadsTokenAndExpiry()
    {
        var json = """{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0k3n","expirationTimestamp":"2026-12-01T12:00:00Z"}}""";
        var info = (JsonTypeInfo<ExecCredentialResponse>)LibraryJson.Default.GetTypeInfo(typeof(ExecCredentialResponse))!;

        var response = JsonSerializer.Deserialize(json, info)!;

        Assert.Equal("t0k3n", response.Status.Token);
        Assert.Equal("client.authentication.k8s.io/v1", response.ApiVersion);
    }
}
