using System.Buffers;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SecretRotator.Kubernetes.Lists;

/// <summary>
/// The KubernetesClient, except that LIST responses of namespaces, secrets and service accounts are decoded by
/// <see cref="LeanListReader"/> instead of the library's reflection models. Requests, auth, the handler pipeline
/// (retry budget, rate limit) and error handling are the library's own: only the decode of a successful body
/// changes. Objects come out as the same typed models, without metadata.managedFields (an update that omits them
/// keeps the server's).
/// </summary>
public sealed class LeanListKubernetes(KubernetesClientConfiguration config, params DelegatingHandler[] handlers) : k8s.Kubernetes(config, handlers)
{
    protected override async Task<HttpOperationResponse<T>> CreateResultAsync<T>(HttpRequestMessage httpRequest, HttpResponseMessage httpResponse,
        bool? watch, CancellationToken cancellationToken)
    {
        if (watch == true || !LeanListReader.Reads(typeof(T)))
            return await base.CreateResultAsync<T>(httpRequest, httpResponse, watch, cancellationToken);
        var (buffer, length) = await ReadBodyAsync(httpResponse.Content, cancellationToken);
        try
        {
            return new HttpOperationResponse<T> { Request = httpRequest, Response = httpResponse, Body = (T)LeanListReader.Read(typeof(T), buffer, length) };
        }
        catch (JsonException)
        {
            // As the library does for a body it cannot decode.
            httpRequest.Dispose();
            httpResponse.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The apiserver streams a large LIST chunked (no Content-Length): starting small would cost a dozen doublings and copies per page.
    private const int MinBuffer = 1024 * 1024;

    /// <summary>The whole body in a pooled buffer: a 500-item page is about a MB, read once per page.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(content.Headers.ContentLength ?? 0, MinBuffer, 64 * 1024 * 1024) + 1);
        var length = 0;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
                if (length < buffer.Length) continue;
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
