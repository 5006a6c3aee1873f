using System.Globalization;
using SecretRotator.Registries;
using SecretRotator.Registries.Ecr;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Ecr;

public sealed class EcrEndpointsTests
{
    // TestData/ecr-endpoints.txt (copied from upstream; see TestData/README.md).
    private static List<string[]> Rows() => TestData.Rows("ecr-endpoints.txt").ToList();

    public static TheoryData<string, bool, bool, string> EndpointRows()
    {
        var data = new TheoryData<string, bool, bool, string>();
        foreach (var row in Rows())
            data.Add(row[0], bool.Parse(row[1]), bool.Parse(row[2]), row[3]);
        return data;
    }

    [Theory]
    [MemberData(nameof(EndpointRows))]
    public void ApiEndpoint_TestDataRow_MatchesRuleSet(string region, bool fips, bool dualStack, string expected)
    {
        var endpoint = EcrEndpoints.ApiEndpoint(region, fips, dualStack);

        Assert.Equal(expected, endpoint.GetLeftPart(UriPartial.Authority));
    }

    [Fact]
    public void TestData_EveryRow_IsWellFormed()
    {
        var rows = Rows();

        Assert.True(rows.Count >= 15, $"expected at least 15 endpoint rows, found {rows.Count}");
        Assert.All(rows, r => Assert.True(r.Length >= 4 && bool.TryParse(r[1], out _) && bool.TryParse(r[2], out _), string.Join('|', r)));
    }

    [Theory]
    [InlineData("cn-northwest-1", true, false, "https://api.ecr-fips.cn-northwest-1.amazonaws.com.cn")]
    [InlineData("cn-north-1", false, true, "https://api.ecr.cn-north-1.api.amazonwebservices.com.cn")]
    [InlineData("us-iso-east-1", false, false, "https://api.ecr.us-iso-east-1.c2s.ic.gov")]
    public void ApiEndpoint_OtherPartitions_FollowRuleSet(string region, bool fips, bool dualStack, string expected)
    {
        Assert.Equal(expected, EcrEndpoints.ApiEndpoint(region, fips, dualStack).GetLeftPart(UriPartial.Authority));
    }

    [Theory]
    [InlineData("us-east-1", "123456789012.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("cn-north-1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")]
    [InlineData("us-gov-west-1", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com")]
    public void RegistryHost_Region_UsesPartitionSuffix(string region, string expected)
    {
        Assert.Equal(expected, EcrEndpoints.RegistryHost("123456789012", region));
    }

    [Theory]
    [InlineData("https://vpce.example", "https://ecr.env", "https://all.env", "https://vpce.example/")]
    [InlineData(null, "https://ecr.env", "https://all.env", "https://ecr.env/")]
    [InlineData(null, null, "https://all.env", "https://all.env/")]
    [InlineData(null, "", "", "https://api.ecr.us-east-1.amazonaws.com/")]
    public void Select_Overrides_RegistryEndpointThenServiceVariableThenGlobal(string? configured, string? ecrVariable, string? globalVariable, string expected)
    {
        var variables = new Dictionary<string, string?> { ["AWS_ENDPOINT_URL_ECR"] = ecrVariable, ["AWS_ENDPOINT_URL"] = globalVariable };
        var environment = new AwsEnvironment(n => variables.GetValueOrDefault(n));

        var endpoint = EcrEndpoints.Select(configured is null ? null : new Uri(configured), environment, AwsEnvironment.EcrEndpointVariable,
            EcrEndpoints.ApiEndpoint("us-east-1", fips: false, dualStack: false));

        Assert.Equal(expected, endpoint.ToString());
    }

    [Fact]
    public void EndpointUrl_NotAnUrl_ThrowsBadEndpoint()
    {
        var environment = new AwsEnvironment(_ => "not a url");

        var error = Assert.Throws<RegistryException>(() => environment.EndpointUrl("AWS_ENDPOINT_URL_ECR"));

        Assert.Equal("bad_endpoint", error.Reason);
        Assert.Contains("AWS_ENDPOINT_URL_ECR", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("https://registry.local:5000/", "registry.local:5000")]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("", null)]
    public void ProxyHost_ProxyEndpoint_StripsScheme(string proxyEndpoint, string? expected)
    {
        Assert.Equal(expected, EcrTokenParser.ProxyHost(proxyEndpoint));
    }

    [Fact]
    public void ExpiresAt_FractionalEpoch_KeepsMilliseconds()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"authorizationToken":"QVdTOnB3","expiresAt":1.7326404005E9}""");

        var token = EcrTokenParser.Parse(doc.RootElement, "r1");

        Assert.Equal(DateTimeOffset.Parse("2024-11-26T17:00:00.5Z", CultureInfo.InvariantCulture), token.ExpiresAt);
        Assert.Equal(("AWS", "pw"), (token.Username, token.Password));
    }

    [Theory]
    [InlineData("us-east-1", false, false, "123456789012.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("us-east-1", true, false, "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com,123456789012.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("us-east-1", false, true, "123456789012.dkr-ecr.us-east-1.on.aws,123456789012.dkr.ecr.us-east-1.amazonaws.com")]
    [InlineData("us-east-2", true, true,
        "123456789012.dkr-ecr-fips.us-east-2.on.aws,123456789012.dkr.ecr-fips.us-east-2.amazonaws.com,123456789012.dkr.ecr.us-east-2.amazonaws.com")]
    [InlineData("us-gov-west-1", true, false, "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com,123456789012.dkr.ecr.us-gov-west-1.amazonaws.com")]
    [InlineData("cn-north-1", false, true, "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")]
    public void RegistryHosts_FipsOrDualStack_PutThatModesPullHostFirst(string region, bool fips, bool dualStack, string expected)
    {
        Assert.Equal(expected.Split(','), EcrEndpoints.RegistryHosts("123456789012", region, fips, dualStack));
    }
}
