using System.Globalization;
using System.Text;
using System.Text.Json;

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
        var run = 0; // start of the pending run of characters that need no escaping, appended in one go
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= ' ' && c is not ('"' or '\\' or '<' or '>' or '&' or '\u2028' or '\u2029') && !char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++; // a valid pair is plain UTF-8 to Go
                continue;
            }
            sb.Append(value, run, i - run);
            run = i + 1;
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    // Go replaces invalid UTF-8 (a lone surrogate here) with U+FFFD.
                    var code = char.IsSurrogate(c) ? 0xFFFD : c;
                    sb.Append("\\u").Append(code.ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }
        sb.Append(value, run, value.Length - run);
        sb.Append('"');
    }

    private sealed class Utf8Comparer : IComparer<string>
    {
        public static readonly Utf8Comparer Instance = new();

        // UTF-16 ordinal order differs from UTF-8 byte order only where surrogates meet U+E000..U+FFFF:
        // remap so supplementary characters (surrogates) sort after the whole BMP, as their UTF-8 bytes do.
        public int Compare(string? x, string? y)
        {
            x ??= "";
            y ??= "";
            var n = Math.Min(x.Length, y.Length);
            for (var i = 0; i < n; i++)
            {
                if (x[i] != y[i]) return Rank(x[i]) - Rank(y[i]);
            }
            return x.Length - y.Length;
        }

        private static int Rank(char c) => c switch
        {
            >= '\uD800' and <= '\uDFFF' => c + 0x2000,
            >= '\uE000' => c - 0x800,
            _ => c,
        };
    }
}
