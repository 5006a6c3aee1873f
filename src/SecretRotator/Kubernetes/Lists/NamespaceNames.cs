using System.Text.Json;

namespace SecretRotator.Kubernetes.Lists;

/// <summary>One page of a namespace LIST as the resolver needs it: the names, without namespaces being deleted.</summary>
/// <param name="Continue">The continue token of the next page, or null on the last.</param>
public sealed record NamespaceNamePage(IReadOnlyList<string> Names, string? Continue);

/// <summary>
/// Lists namespace names only. Resolving a glob or selector needs no more than that, and at 10,000 namespaces
/// decoding each namespace into a model (labels unique to each, spec, status, timestamps) cost more than decoding
/// every managed secret.
/// </summary>
public interface INamespaceNameLister
{
    Task<NamespaceNamePage> ListNamespaceNamesAsync(string? labelSelector, string? continueToken, int limit, CancellationToken cancellationToken);
}

/// <summary>Reads a NamespaceList body into a <see cref="NamespaceNamePage"/>: name, phase and the list's continue
/// token; everything else is skipped without allocating.</summary>
public static class NamespaceNameReader
{
    /// <exception cref="JsonException">Malformed JSON, or a namespace without a name.</exception>
    public static NamespaceNamePage Read(ReadOnlySpan<byte> json)
    {
        try
        {
            return ReadPage(json);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new JsonException($"cannot decode the NamespaceList response: {e.Message}", e);
        }
    }

    private static NamespaceNamePage ReadPage(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json);
        var names = new List<string>();
        string? next = null;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new JsonException("a list response is not a JSON object");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("items"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Null) continue;
                if (r.TokenType != JsonTokenType.StartArray) throw new JsonException("items is not an array");
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    // A namespace being deleted cannot take new secrets.
                    if (ReadItem(ref r) is ({ } name, false)) names.Add(name);
                }
            }
            else if (r.ValueTextEquals("metadata"u8)) next = ReadContinue(ref r);
            else
            {
                r.Read();
                r.Skip();
            }
        }
        return new NamespaceNamePage(names, string.IsNullOrEmpty(next) ? null : next);
    }

    private static (string? Name, bool Terminating) ReadItem(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw new JsonException("a namespace is not a JSON object");
        string? name = null;
        var terminating = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("metadata"u8)) name = ReadProperty(ref r, "name"u8);
            else if (r.ValueTextEquals("status"u8)) terminating = ReadProperty(ref r, "phase"u8) == "Terminating";
            else
            {
                r.Read();
                r.Skip();
            }
        }
        return name is null ? throw new JsonException("a namespace without metadata.name") : (name, terminating);
    }

    private static string? ReadContinue(ref Utf8JsonReader r) => ReadProperty(ref r, "continue"u8);

    /// <summary>The string property <paramref name="property"/> of the object at the reader; the rest is skipped.</summary>
    private static string? ReadProperty(ref Utf8JsonReader r, ReadOnlySpan<byte> property)
    {
        r.Read();
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartObject) throw new JsonException("expected an object");
        string? value = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var wanted = r.ValueTextEquals(property);
            r.Read();
            if (wanted && r.TokenType is JsonTokenType.String or JsonTokenType.Null) value = r.GetString();
            else r.Skip();
        }
        return value;
    }
}
