using SecretRotator.Configuration;
using SecretRotator.Registries.Ecr;

namespace SecretRotator.Tests.Ecr;

public sealed class EcrConfigTests
{
    private static EcrTestHost Host() => EcrTestHost.Create(FixedAwsCredentials.From(Fakes.Ecr.AwsTestKeys.Base), new Dictionary<string, string>());

    private static ConfigException Invalid(string fields, string type = "ecr")
    {
        using var host = Host();
        return Assert.Throws<ConfigException>(() => host.Parse(fields, type));
    }

    [Fact]
    public void Parse_AllEcrFields_ProducesOptions()
    {
        using var host = Host();

        var registry = host.Parse("""
            region: eu-central-1
            accounts: ["123456789012", "210987654321"]
            roleArn: arn:aws:iam::123456789012:role/ecr-pull
            externalId: ext-42
            sessionName: rotator-prod
            fips: false
            dualStack: true
            endpoint: https://vpce-0abc.api.ecr.eu-central-1.vpce.amazonaws.com
            """).Registries[0];

        var options = Assert.IsType<EcrRegistryOptions>(registry.Options);
        Assert.Equal("ecr", registry.Type);
        Assert.Equal("eu-central-1", options.Region);
        Assert.Equal(["123456789012", "210987654321"], options.Accounts);
        Assert.Equal(new AwsAssumeRole("arn:aws:iam::123456789012:role/ecr-pull", "ext-42", "rotator-prod"), options.AssumeRole);
        Assert.True(options.DualStack);
        Assert.False(options.Fips);
        Assert.Equal("vpce-0abc.api.ecr.eu-central-1.vpce.amazonaws.com", options.Endpoint!.Host);
    }

    [Fact]
    public void Parse_RoleWithoutSessionName_UsesDefaultSessionName()
    {
        using var host = Host();

        var options = (EcrRegistryOptions)host.Parse("region: cn-north-1\nroleArn: arn:aws-cn:iam::123456789012:role/pull").Registries[0].Options;

        Assert.Equal(AwsAssumeRole.DefaultSessionName, options.AssumeRole!.SessionName);
        Assert.Null(options.AssumeRole.ExternalId);
    }

    [Theory]
    [InlineData("region: us-east-1\naccounts: [\"12345678901\"]", "registries[0].accounts", "'12345678901' is not a 12-digit AWS account id")]
    [InlineData("region: us-east-1\naccounts: [\"12345678901a\"]", "registries[0].accounts", "12-digit")]
    [InlineData("region: us-east-1\naccounts: [\"123456789012\", \"123456789012\"]", "registries[0].accounts", "twice")]
    [InlineData("accounts: [\"123456789012\"]", "registries[0].region", "is required")]
    [InlineData("region: US-EAST-1", "registries[0].region", "not an AWS region")]
    [InlineData("region: us-east-1\nroleArn: role/ecr-pull", "registries[0].roleArn", "IAM role ARN")]
    [InlineData("region: us-east-1\nexternalId: abc", "registries[0].externalId", "needs roleArn")]
    [InlineData("region: us-east-1\nroleArn: arn:aws:iam::123456789012:role/x\nsessionName: \"has space\"", "registries[0].sessionName", "2-64")]
    [InlineData("region: us-east-1\nendpoint: ftp://example", "registries[0].endpoint", "http(s)")]
    [InlineData("region: us-east-1\nfips: maybe", "registries[0].fips", "true or false")]
    [InlineData("region: us-iso-east-1\ndualStack: true", "registries[0].dualStack", "aws-iso")]
    [InlineData("region: us-east-1\nregistry: x", "registries[0].registry", "unknown field")]
    [InlineData("region: \"us-east-1\\n\"", "registries[0].region", "not an AWS region")]
    [InlineData("region: us-east-1\naccounts: [\"123456789012\\n\"]", "registries[0].accounts", "12-digit")]
    [InlineData("region: us-east-1\nroleArn: arn:aws:iam::123456789012:role/x\nsessionName: rotatör", "registries[0].sessionName", "2-64")]
    public void Parse_InvalidEcrField_ReportsPathAndLine(string fields, string path, string message)
    {
        var error = Invalid(fields);

        var match = Assert.Single(error.Errors, e => e.Path == path);
        Assert.Contains(message, match.Message, StringComparison.Ordinal);
        Assert.Equal("test.yaml", match.File);
        Assert.True(match.Line >= 2, $"line {match.Line}");
    }

    [Fact]
    public void Parse_EcrPublic_AcceptsEndpointAndRole()
    {
        using var host = Host();

        var registry = host.Parse("roleArn: arn:aws:iam::123456789012:role/public-pull\nendpoint: http://127.0.0.1:9000", "ecr-public").Registries[0];

        var options = Assert.IsType<EcrPublicRegistryOptions>(registry.Options);
        Assert.Equal("arn:aws:iam::123456789012:role/public-pull", options.AssumeRole!.RoleArn);
        Assert.Equal(9000, options.Endpoint!.Port);
    }

    [Fact]
    public void Parse_EcrPublicWithRegion_RejectsUnknownField()
    {
        var error = Invalid("region: us-west-2", "ecr-public");

        Assert.Contains(error.Errors, e => e.Path == "registries[0].region" && e.Message == "unknown field");
    }
}
