using System.Net.Http.Headers;
using System.Text;

namespace SecretRotator.Registries.Verification;

/// <summary>One <c>WWW-Authenticate</c> challenge: scheme (lower case) and its auth-params (realm, service, scope).</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>The first Bearer or Basic challenge (Bearer preferred, as registries offering both expect), or null.</summary>
    public static AuthChallenge? Select(HttpHeaderValueCollection<AuthenticationHeaderValue> headers)
    {
        var challenges = headers.Select(h => new AuthChallenge(h.Scheme.ToLowerInvariant(), ParseParameters(h.Parameter))).ToList();
        return challenges.FirstOrDefault(c => c.Scheme == "bearer") ?? challenges.FirstOrDefault(c => c.Scheme == "basic");
    }

    public string? this[string name] => Parameters.GetValueOrDefault(name);

    /// <summary>Parses <c>realm="https://auth.example/token",service="registry.example"</c> (RFC 9110 auth-params; quoted values may hold commas and escapes).</summary>
    public static IReadOnlyDictionary<string, string> ParseParameters(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (text is not null && i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var name = text[i..eq].Trim();
            i = eq + 1;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i]);
                }
                i++; // closing quote
            }
            else
            {
                while (i < text.Length && text[i] != ',') value.Append(text[i++]);
            }
            if (name.Length > 0) result[name] = value.ToString().Trim();
        }
        return result;
    }
}
