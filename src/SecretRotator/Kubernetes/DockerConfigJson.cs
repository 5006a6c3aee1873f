using System.Globalization;
using System.Text;
using System.Text.Json;
using SecretRotator.Registries;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Builds the <c>.dockerconfigjson</c> bytes exactly as <c>kubectl create secret docker-registry</c> does:
/// Go's encoding/json of <c>{"auths":{server:{username,password,email,auth}}}</c> — compact, map keys sorted
/// by bytes, empty fields omitted, and Go's string escaping (HTML characters and U+2028/9 escaped).
/// </summary>
public static class DockerConfigJson
{
    public static byte[] Build(IEnumerable<DockerAuthEntry> entries)
    {
        // Go sorts map keys by their UTF-8 bytes; a later entry for the same server wins, as in a map assignment.
        var byServer = new SortedDictionary<string, DockerAuthEntry>(Utf8Comparer.Instance);
        foreach (var e in entries) byServer[e.Server] = e;

        var sb = new StringBuilder("{\"auths\":{");
        var first = true;
        foreach (var (server, e) in byServer)
        {
            if (!first) sb.Append(',');
            first = false;
            AppendGoString(sb, server);
            sb.Append(":{");
            var fields = new List<(string, string)>(4);
            if (e.Username.Length > 0) fields.Add(("username", e.Username));
            if (e.Password.Length > 0) fields.Add(("password", e.Password));
            if (!string.IsNullOrEmpty(e.Email)) fields.Add(("email", e.Email));
            fields.Add(("auth", Auth(e.Username, e.Password)));
            for (var i = 0; i < fields.Count; i++)
            {
                if (i > 0) sb.Append(',');
                AppendGoString(sb, fields[i].Item1);
                sb.Append(':');
                AppendGoString(sb, fields[i].Item2);
            }
            sb.Append('}');
        }
        sb.Append("}}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static string Auth(string username, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

    /// <summary>
    /// Reads the entries back from an existing secret. Returns null when the bytes are not a usable
    /// dockerconfigjson (corrupt data is repaired by rewriting, never a crash).
    /// </summary>
    public static IReadOnlyDictionary<string, DockerAuthEntry>? TryParse(byte[]? bytes)
    {
        // JsonDocument accepts invalid UTF-8 inside strings and then throws InvalidOperationException on reading them.
        if (bytes is null || bytes.Length == 0 || !System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
                return null;
            var result = new Dictionary<string, DockerAuthEntry>(StringComparer.Ordinal);
            foreach (var p in auths.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Object) return null;
                string? Str(string name) => p.Value.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var user = Str("username");
                var pass = Str("password");
                if ((user is null || pass is null) && Str("auth") is { } auth && TryDecodeAuth(auth, out var u, out var pw))
                {
                    user ??= u;
                    pass ??= pw;
                }
                if (user is null || pass is null) return null;
                result[p.Name] = new DockerAuthEntry(p.Name, user, pass, Str("email"));
            }
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryDecodeAuth(string auth, out string user, out string password)
    {
        user = password = "";
        var buffer = new byte[auth.Length];
        if (!Convert.TryFromBase64String(auth, buffer, out var n)) return false;
        var text = Encoding.UTF8.GetString(buffer, 0, n);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return false;
        user = text[..colon];
        password = text[(colon + 1)..];
        return true;
    }

    /// <summary>Go's encoding/json string encoder with HTML escaping (the default of json.Marshal).</summary>
    private static void AppendGoString(StringBuilder sb, string value)
    {
        sb.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])))
                    {
                        sb.Append("\\ufffd"); // Go replaces invalid UTF-8 with U+FFFD
                        break;
                    }
                    sb.Append(c);
                    if (char.IsHighSurrogate(c)) sb.Append(value[++i]);
                    break;
            }
        }
        sb.Append('"');
    }

    private sealed class Utf8Comparer : IComparer<string>
    {
        public static readonly Utf8Comparer Instance = new();

        // Ordinal UTF-16 order differs from UTF-8 byte order only around surrogates; compare bytes to match Go.
        public int Compare(string? x, string? y) =>
            Encoding.UTF8.GetBytes(x ?? "").AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y ?? ""));
    }
}
