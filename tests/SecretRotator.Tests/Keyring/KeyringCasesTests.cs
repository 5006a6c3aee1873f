using SecretRotator.Kubernetes.Keyring;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Keyring;

/// <summary>Every case of TestData/keyring-cases.txt (kubelet's own keyring tests) against the product's keyring.</summary>
public sealed class KeyringCasesTests
{
    private const string File = "keyring-cases.txt";

    private static TheoryData<string, string, string> Section(string name)
    {
        var data = new TheoryData<string, string, string>();
        foreach (var row in TestData.Rows(File).Where(r => r[0] == name)) data.Add(row[1], row[2], row[3]);
        return data;
    }

    public static TheoryData<string, string, string> UrlsMatch => Section("URLSMATCH");
    public static TheoryData<string, string, string> Lookups => Section("LOOKUP");
    public static TheoryData<string, string, string> Defaults => Section("DEFAULT");
    public static TheoryData<string, string, string> Multi => Section("MULTI");

    [Theory]
    [InlineData("URLSMATCH", 19)]
    [InlineData("LOOKUP", 26)]
    [InlineData("DEFAULT", 8)]
    [InlineData("MULTI", 10)]
    public void CasesFile_Section_HasEveryUpstreamCase(string section, int count) =>
        Assert.Equal(count, TestData.Rows(File).Count(r => r[0] == section && r.Length == 4));

    [Theory]
    [MemberData(nameof(UrlsMatch))]
    public void Match_UrlsMatchCase_AgreesWithKubelet(string glob, string target, string expected)
    {
        // The one row with a scheme documents that Add() strips it before matching; the others are compared raw.
        var key = glob.Contains("://", StringComparison.Ordinal) ? KubeletKeys.Normalize(glob)! : glob;

        var result = KubeletKeys.Match(key, target);

        Assert.Equal(expected == "match", result == KeyMatch.Match);
    }

    [Theory]
    [MemberData(nameof(Lookups))]
    public void Lookup_KeyringCase_AgreesWithKubelet(string server, string image, string expected)
    {
        var keyring = new DockerKeyring<string>();
        keyring.Add(server, "creds");

        var hits = keyring.Lookup(image);

        if (expected == "match") Assert.Single(hits);
        else Assert.Empty(hits);
    }

    [Theory]
    [MemberData(nameof(Defaults))]
    public void IsDefaultRegistryMatch_Case_AgreesWithKubelet(string _, string image, string expected)
    {
        var result = KubeletKeys.IsDefaultRegistryMatch(image == "(empty string)" ? "" : image);

        Assert.Equal(bool.Parse(expected), result);
    }

    [Theory]
    [MemberData(nameof(Multi))]
    public void Lookup_MultiKeyCase_ReturnsCredentialsInKubeletsOrder(string keyringText, string image, string expected)
    {
        // keyring "{key=value, key=value}"; expected "[a, b]" or "[] (nomatch)".
        var keyring = new DockerKeyring<string>();
        foreach (var pair in keyringText.Trim('{', '}').Split(", "))
        {
            var eq = pair.LastIndexOf('=');
            keyring.Add(pair[..eq], pair[(eq + 1)..]);
        }
        var want = expected[1..expected.IndexOf(']', StringComparison.Ordinal)].Split(", ", StringSplitOptions.RemoveEmptyEntries);

        var hits = keyring.Lookup(image);

        Assert.Equal(want, hits.Select(h => h.Entry.Value));
    }
}
