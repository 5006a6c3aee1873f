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

/// <summary>Reads one namespace of a NamespaceList for <see cref="LeanListReader.ReadNamespaceNames"/>: its name and
/// phase; everything else is skipped without allocating.</summary>
internal static class NamespaceNameReader
{
    /// <summary>The namespace's name, or null when it is being deleted (it cannot take new secrets).</summary>
    /// <exception cref="JsonException">Not an object, or no name.</exception>
    public static bool TryName(ref Utf8JsonReader r, PageStrings strings, out string? name)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw new JsonException("a namespace is not a JSON object");
        name = null;
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
        if (name is null) throw new JsonException("a namespace without metadata.name");
        if (terminating) name = null;
        return true; // never the typed decode: a name is all this list keeps
    }

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
