using System.Text;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>
/// Compares our .dockerconfigjson bytes with what the real <c>kubectl create secret docker-registry --dry-run=client</c>
/// writes. Skipped without kubectl, except in CI (CI=true) where a missing kubectl fails the test.
/// </summary>
public sealed class DockerConfigJsonKubectlOracleTests
{
    public static TheoryData<string, string, string, string?> Inputs()
    {
        var data = new TheoryData<string, string, string, string?>
        {
            { "https://index.docker.io/v1/", "test-user", "test-password", "test-user@example.org" },
            { "https://index.docker.io/v1/", "test-user", "test-password", null },
            { "123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", "<ecr-password>", null },
            { "myregistry.azurecr.io", "00000000-0000-0000-0000-000000000000", "<acr-refresh-token>", null },
            { "us-docker.pkg.dev", "oauth2accesstoken", "ya29.a0AfH6SMB&x=<y>", null },
            { "ghcr.io", "bot", "quote\"back\\slash", "a\"b@example.org" },
            { "r.example.com:5000", "user:with:colons", "pass:word", null },
            { "r.io", "tab\tuser", "new\nline\rcr", null },
            { "r.io", "u", "\b\f\u0001\u001f\u007f", null },
            { "r.io", "u", "line\u2028para\u2029end", null },
            { "registry.例え.jp", "ユーザー", "пароль-密码-🔑", "é@例え.jp" },
            { "r.io", "u", "\u00a0non-breaking\u200bzero-width\ufeffbom", null },
            { "<script>&amp;", "<b>", "&lt;", "<e>&" },
            { "r.io", "u", "{\"json\":[1,2]}", null },
            { "r.io", "u", "%s %d %v $HOME `id` $(id)", null },
            { "r.io", "u", "-leading-dash", null },
            { "r.io", "u", " spaced ", " " },
            { "R.IO", "U", "P", "E" },
            { "r.io", "u", new string('x', 4096), null },
            { "r.io", "u", string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('!' + (i % 94)))), null },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Build_SameInputAsKubectl_ProducesTheSameBytes(string server, string username, string password, string? email)
    {
        var kubectl = Kubectl.FindOrSkip();
        var ours = DockerConfigJson.Build([new DockerAuthEntry(server, username, password, email)]);

        var theirs = await Kubectl.DockerConfigJsonAsync(kubectl, server, username, password, email, TestContext.Current.CancellationToken);

        Assert.Equal(Encoding.UTF8.GetString(theirs), Encoding.UTF8.GetString(ours));
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public async Task Build_RandomPrintableAndControlInput_MatchesKubectl()
    {
        var kubectl = Kubectl.FindOrSkip();
        var random = new Random(4100);
        // Every character class the encoder treats differently; NUL cannot be passed as a process argument.
        const string alphabet = "aZ09 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\b\f\u0001\u001b\u007f\u0080\u00e9\u2028\u2029\ufffd\u4e2d";
        string Random(int max) => new(Enumerable.Range(0, random.Next(1, max)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

        for (var i = 0; i < 12; i++)
        {
            var (server, user, password, email) = (Random(20), Random(20), Random(200), i % 2 == 0 ? Random(20) : null);
            var ours = DockerConfigJson.Build([new DockerAuthEntry(server, user, password, email)]);

            var theirs = await Kubectl.DockerConfigJsonAsync(kubectl, server, user, password, email, TestContext.Current.CancellationToken);

            Assert.Equal(Encoding.UTF8.GetString(theirs), Encoding.UTF8.GetString(ours));
        }
    }
}
