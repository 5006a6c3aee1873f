using System.Text.Json;
using SecretRotator.CredentialProvider;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.CredentialProvider;

/// <summary>Requests as kubelet writes them, and what a test checks of an answer (through kubelet's own checks).</summary>
public static class CredentialProviderExchange
{
    public static string Request(string image, string? token = null, IReadOnlyDictionary<string, string>? annotations = null) =>
        JsonSerializer.Serialize(new CredentialProviderRequest
        {
            ApiVersion = CredentialProviderApi.ApiVersion,
            Kind = CredentialProviderApi.RequestKind,
            Image = image,
            ServiceAccountToken = token,
            ServiceAccountAnnotations = annotations?.ToDictionary(),
        }, CredentialProviderJson.Default.CredentialProviderRequest);

    /// <summary>A projected service account token as kubelet requests it for the pod (only its claims matter here).</summary>
    public static string PodToken(TimeSpan? validFor = null) => TestJwt.Create(new Dictionary<string, object>
    {
        ["aud"] = new[] { "credential-provider" },
        ["sub"] = "system:serviceaccount:team-a:app",
        ["exp"] = DateTimeOffset.UtcNow.Add(validFor ?? TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
        ["jti"] = Guid.NewGuid().ToString("N"),
    });

    /// <summary>Exit 0, a response kubelet accepts, and the one auth entry the test expects.</summary>
    public static JsonElement AssertServed(CliResult result, string key, string username, string password, string? token = null)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(KubeletResponseCheck.Problem(result.Stdout, serviceAccountToken: token) is null, $"{KubeletResponseCheck.Problem(result.Stdout, serviceAccountToken: token)}\n{result}");
        using var doc = JsonDocument.Parse(result.Stdout);
        var entry = doc.RootElement.GetProperty("auth").GetProperty(key);
        Assert.Equal(username, entry.GetProperty("username").GetString());
        Assert.Equal(password, entry.GetProperty("password").GetString());
        Assert.DoesNotContain(password, result.Stderr, StringComparison.Ordinal);
        if (token is not null) Assert.DoesNotContain(token, result.Stdout + result.Stderr, StringComparison.Ordinal);
        return doc.RootElement.Clone();
    }

    /// <summary>Exit 1, nothing on stdout, exactly one line on stderr naming the fault.</summary>
    public static void AssertRefused(CliResult result, string expected, params string[] secrets)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("", result.Stdout);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        foreach (var secret in secrets) Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
    }

    /// <summary>Half the validity left, give or take the seconds the test itself took.</summary>
    public static void AssertHalfOf(JsonElement response, TimeSpan validity)
    {
        var duration = GoDuration.TryParse(response.GetProperty("cacheDuration").GetString());
        Assert.NotNull(duration);
        Assert.InRange(duration.Value, validity / 2 - TimeSpan.FromSeconds(30), validity / 2);
    }

}
