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
/// keeps the server's). Namespace names alone (<see cref="INamespaceNameLister"/>) are listed through the same pipeline.
/// </summary>
public sealed class LeanListKubernetes(KubernetesClientConfiguration config, params DelegatingHandler[] handlers)
    : k8s.Kubernetes(config, handlers), INamespaceNameLister
{
    public async Task<NamespaceNamePage> ListNamespaceNamesAsync(string? labelSelector, string? continueToken, int limit, CancellationToken cancellationToken)
    {
        var query = new List<string>(3);
        if (continueToken is not null) query.Add("continue=" + Uri.EscapeDataString(continueToken));
        if (labelSelector is not null) query.Add("labelSelector=" + Uri.EscapeDataString(labelSelector));
        query.Add("limit=" + limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The library's own request and send: auth, the handler pipeline, and an HttpOperationException for an error status.
        using var response = await SendRequest<object?>("api/v1/namespaces?" + string.Join('&', query), HttpMethod.Get, null, null, cancellationToken);
        var (buffer, length) = await ReadBodyAsync(response.Content, cancellationToken);
        try
        {
            return LeanListReader.ReadNamespaceNames(buffer, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

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

    // The apiserver streams a large LIST chunked (no Content-Length): starting small would cost a dozen doublings and
    // copies per page. A power of two: the pool rounds a request up to one, and a 2 MB rent where 1 MB would do
    // doubles the large-object heap a run allocates (reason enough for the GC to start a gen-2 collection).
    private const int MinBuffer = 1024 * 1024;

    /// <summary>The whole body in a pooled buffer: a 500-item page is about a MB, read once per page.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        // One byte beyond a known length, so the read that finds the end needs no larger buffer.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp((content.Headers.ContentLength ?? 0) + 1, MinBuffer, 64 * 1024 * 1024));
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
