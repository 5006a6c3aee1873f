using System.Text;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Kubernetes;

public sealed class DockerConfigJsonTests
{
    private sealed record Case(int Number, DockerAuthEntry Entry, string Auth, string Json);

    /// <summary>server, username, password, email or "(none)", auth, dockerconfigjson — tab separated.</summary>
    private static List<Case> ReadCases()
    {
        var cases = new List<Case>();
        foreach (var line in File.ReadAllLines(TestData.Path("dockerconfigjson-cases.txt")))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var f = line.Split('\t');
            Assert.Equal(6, f.Length);
            cases.Add(new Case(cases.Count + 1, new DockerAuthEntry(f[0], f[1], f[2], f[3] == "(none)" ? null : f[3]), f[4], f[5]));
        }
        return cases;
    }

    /// <summary>The file lists &lt; and &gt; raw for readability; Go's json.Marshal escapes them.</summary>
    private static string GoEscapeHtml(string json) =>
        json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal).Replace("&", "\\u0026", StringComparison.Ordinal);

    [Fact]
    public void Build_ReferenceCases_MatchKubectlBytes()
    {
        var cases = ReadCases();
        Assert.Equal(5, cases.Count);

        foreach (var c in cases)
        {
            var bytes = DockerConfigJson.Build([c.Entry]);

            Assert.Equal(c.Auth, DockerConfigJson.Auth(c.Entry.Username, c.Entry.Password));
            Assert.Equal(Encoding.UTF8.GetBytes(GoEscapeHtml(c.Json)), bytes);
        }
    }

    [Fact]
    public void Build_Case3_MatchesTheGoExactBytesGivenInTheFile()
    {
        var lines = File.ReadAllLines(TestData.Path("dockerconfigjson-cases.txt"));
        const string marker = "# Go-exact bytes for case 3 (HTML-escaped): ";
        var goExact = Assert.Single(lines, l => l.StartsWith(marker, StringComparison.Ordinal))[marker.Length..];

        var bytes = DockerConfigJson.Build([ReadCases()[2].Entry]);

        Assert.Equal(goExact, Encoding.UTF8.GetString(bytes));
        Assert.Equal(Encoding.UTF8.GetBytes(goExact), bytes);
    }

    [Fact]
    public void Build_UpstreamTestCase_IsExactlyKubectlOutput()
    {
        // TestCreateSecretDockerRegistry in kubectl, written out here so a changed data file cannot hide a regression.
        var bytes = DockerConfigJson.Build([new DockerAuthEntry("https://index.docker.io/v1/", "test-user", "test-password", "test-user@example.org")]);

        Assert.Equal(
            """{"auths":{"https://index.docker.io/v1/":{"username":"test-user","password":"test-password","email":"test-user@example.org","auth":"dGVzdC11c2VyOnRlc3QtcGFzc3dvcmQ="}}}""",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Build_SeveralEntries_SortsServersByUtf8BytesLikeGoMaps()
    {
        // U+FF01 sorts after U+1F600 in UTF-16 (0xFF01 > 0xD83D) but before it in UTF-8 (EF < F0): Go uses bytes.
        var entries = new[]
        {
            new DockerAuthEntry("b.io", "u", "p"),
            new DockerAuthEntry("\U0001F600.io", "u", "p"),
            new DockerAuthEntry("\uFF01.io", "u", "p"),
            new DockerAuthEntry("B.io", "u", "p"),
            new DockerAuthEntry("a.io", "u", "p"),
            new DockerAuthEntry("https://index.docker.io/v1/", "u", "p"),
            new DockerAuthEntry("\u00e4.io", "u", "p"),
        };

        var json = Encoding.UTF8.GetString(DockerConfigJson.Build(entries));

        const string e = """{"username":"u","password":"p","auth":"dTpw"}""";
        Assert.Equal(
            $$$"""{"auths":{"B.io":{{{e}}},"a.io":{{{e}}},"b.io":{{{e}}},"https://index.docker.io/v1/":{{{e}}},"ä.io":{{{e}}},"！.io":{{{e}}},"😀.io":{{{e}}}}}""",
            json);
    }

    [Fact]
    public void Build_SameServerTwice_LaterEntryWins()
    {
        var json = Encoding.UTF8.GetString(DockerConfigJson.Build([new DockerAuthEntry("r.io", "old", "1"), new DockerAuthEntry("r.io", "new", "2")]));

        Assert.Equal("""{"auths":{"r.io":{"username":"new","password":"2","auth":"bmV3OjI="}}}""", json);
    }

    [Fact]
    public void Build_NoEntries_WritesEmptyAuths() =>
        Assert.Equal("""{"auths":{}}""", Encoding.UTF8.GetString(DockerConfigJson.Build([])));

    [Theory]
    [InlineData("a\"b\\c", "a\\\"b\\\\c")]
    [InlineData("<&>", "\\u003c\\u0026\\u003e")]
    [InlineData("\b\f\n\r\t", "\\b\\f\\n\\r\\t")]
    [InlineData("\u0000\u0001\u001f", "\\u0000\\u0001\\u001f")]
    [InlineData("\u007f\u0080", "\u007f\u0080")]
    [InlineData("\u2028\u2029", "\\u2028\\u2029")]
    [InlineData("é😀", "é😀")]
    public void Build_SpecialCharacters_EscapesLikeGo(string password, string escaped)
    {
        var json = Encoding.UTF8.GetString(DockerConfigJson.Build([new DockerAuthEntry("r.io", "u", password)]));

        Assert.Contains($"\"password\":\"{escaped}\",", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_LoneSurrogates_EscapeAsReplacementCharacterLikeGo()
    {
        // (Not theory data: the test runner's serializer would itself replace lone surrogates.)
        // Go's encoder writes \ufffd for invalid UTF-8; a lone UTF-16 surrogate is the .NET equivalent.
        var json = Encoding.UTF8.GetString(DockerConfigJson.Build([new DockerAuthEntry("r.io", "\ud800u", "p\udc00", "\ud83d")]));

        Assert.Equal("""{"auths":{"r.io":{"username":"\ufffdu","password":"p\ufffd","email":"\ufffd","auth":"77+9dTpw77+9"}}}""", json);
    }

    [Fact]
    public void Build_EmptyUsernameAndPassword_OmitsThemButKeepsAuth()
    {
        var json = Encoding.UTF8.GetString(DockerConfigJson.Build([new DockerAuthEntry("r.io", "", "", "")]));

        Assert.Equal("""{"auths":{"r.io":{"auth":"Og=="}}}""", json);
    }

    public static TheoryData<DockerAuthEntry[]> RoundTrips => new()
    {
        { [new DockerAuthEntry("r.io", "u", "p")] },
        { [new DockerAuthEntry("https://index.docker.io/v1/", "test-user", "test-password", "test-user@example.org")] },
        { [new DockerAuthEntry("a.io", "AWS", "<tok&en>\"\\\n\u2028é😀"), new DockerAuthEntry("b.io", "x:y", "p:q:r")] },
        { [new DockerAuthEntry("r.io", "", "only-password"), new DockerAuthEntry("s.io", "only-user", "")] },
        { [new DockerAuthEntry("r.io", "u", new string('p', 100_000))] },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void TryParse_BuiltBytes_ReturnsTheSameEntries(DockerAuthEntry[] entries)
    {
        var parsed = DockerConfigJson.TryParse(DockerConfigJson.Build(entries));

        Assert.NotNull(parsed);
        Assert.Equal(entries.OrderBy(e => e.Server, StringComparer.Ordinal), parsed.Values.OrderBy(e => e.Server, StringComparer.Ordinal));
        Assert.All(parsed, p => Assert.Equal(p.Key, p.Value.Server));
    }

    [Fact]
    public void TryParse_AuthOnlyEntry_ReadsUserAndPasswordFromAuth()
    {
        // docker login writes only "auth"; a password may contain ':' but a username may not.
        var parsed = DockerConfigJson.TryParse(Encoding.UTF8.GetBytes("""{"auths":{"r.io":{"auth":"dXNlcjpwYTpzcw=="}}}"""));

        Assert.Equal(new DockerAuthEntry("r.io", "user", "pa:ss"), Assert.Single(parsed!).Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"auths\":{\"r.io\":{\"username\":\"u\"")]
    [InlineData("[]")]
    [InlineData("\"auths\"")]
    [InlineData("{}")]
    [InlineData("{\"auths\":[]}")]
    [InlineData("{\"auths\":null}")]
    [InlineData("{\"auths\":{\"r.io\":\"x\"}}")]
    [InlineData("{\"auths\":{\"r.io\":{}}}")]
    [InlineData("{\"auths\":{\"r.io\":{\"username\":\"u\"}}}")]
    [InlineData("{\"auths\":{\"r.io\":{\"username\":1,\"password\":2}}}")]
    [InlineData("{\"auths\":{\"r.io\":{\"auth\":\"!!!\"}}}")]
    [InlineData("{\"auths\":{\"r.io\":{\"auth\":\"bm9jb2xvbg==\"}}}")] // "nocolon"
    [InlineData("{\"auths\":{\"r.io\":{\"auth\":7}}}")]
    public void TryParse_CorruptData_ReturnsNull(string? text)
    {
        var parsed = DockerConfigJson.TryParse(text is null ? null : Encoding.UTF8.GetBytes(text));

        Assert.Null(parsed);
    }

    [Fact]
    public void TryParse_InvalidUtf8AndDeepNesting_ReturnsNull()
    {
        Assert.Null(DockerConfigJson.TryParse([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
        // Invalid UTF-8 inside a string value of an otherwise well-formed document used to throw InvalidOperationException.
        var bytes = Encoding.UTF8.GetBytes("""{"auths":{"r.io":{"username":"u","password":"pX"}}}""");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xdb;
        Assert.Null(DockerConfigJson.TryParse(bytes));
        Assert.Null(DockerConfigJson.TryParse(Encoding.UTF8.GetBytes("{\"auths\":" + new string('[', 100_000) + new string(']', 100_000) + "}")));
    }

    [Fact]
    public void TryParse_RandomAndTruncatedBytes_NeverThrows()
    {
        var random = new Random(20261126);
        var valid = DockerConfigJson.Build([new DockerAuthEntry("a.io", "u", "p<>é", "e@x"), new DockerAuthEntry("b.io", "v", "q")]);
        var nonNull = 0;

        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])valid.Clone();
            switch (i % 3)
            {
                case 0: bytes = bytes[..random.Next(bytes.Length)]; break;
                case 1: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break;
                default: bytes = new byte[random.Next(64)]; random.NextBytes(bytes); break;
            }
            if (DockerConfigJson.TryParse(bytes) is not null) nonNull++;
        }

        // Single-byte changes inside a string keep the document usable: the parse path is exercised, not only the null path.
        Assert.InRange(nonNull, 1, 2999);
    }
}
