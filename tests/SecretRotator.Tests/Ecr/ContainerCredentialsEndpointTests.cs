using SecretRotator.Registries;
using SecretRotator.Registries.Ecr;

namespace SecretRotator.Tests.Ecr;

/// <summary>Which container credentials URLs and tokens are used: the rules of AWSSDK.Core's GenericContainerCredentials.</summary>
public sealed class ContainerCredentialsEndpointTests
{
    private static ContainerCredentialsEndpoint Endpoint(params (string Name, string Value)[] variables) =>
        new(new AwsEnvironment(n => variables.FirstOrDefault(v => v.Name == n).Value));

    [Theory]
    [InlineData("http://169.254.170.23/v1/credentials", "EKS Pod Identity agent http://169.254.170.23/v1/credentials")]
    [InlineData("http://[fd00:ec2::23]/v1/credentials", "EKS Pod Identity agent http://[fd00:ec2::23]/v1/credentials")]
    [InlineData("http://127.0.0.1:8080/creds", "container credentials endpoint http://127.0.0.1:8080/creds")]
    [InlineData("https://credentials.example.com/creds", "container credentials endpoint https://credentials.example.com/creds")]
    public void Resolve_AllowedFullUri_ReturnsItAndNamesIt(string fullUri, string described)
    {
        var uri = Endpoint((ContainerCredentialsEndpoint.FullUriVariable, fullUri)).Resolve();

        Assert.Equal(new Uri(fullUri), uri);
        Assert.Equal(described, ContainerCredentialsEndpoint.Describe(uri));
    }

    [Fact]
    public void Resolve_RelativeUriAlsoSet_UsesEcsHostFirst()
    {
        var uri = Endpoint((ContainerCredentialsEndpoint.RelativeUriVariable, "/v2/credentials/abc"),
            (ContainerCredentialsEndpoint.FullUriVariable, "http://169.254.170.23/v1/credentials")).Resolve();

        Assert.Equal(new Uri("http://169.254.170.2/v2/credentials/abc"), uri);
    }

    [Theory]
    [InlineData("http://credentials.example.com/creds")]
    [InlineData("http://10.0.0.5/v1/credentials")]
    public void Resolve_PlainHttpToOtherHost_RefusesBeforeAnyRequest(string fullUri)
    {
        var error = Assert.Throws<RegistryException>(() => Endpoint((ContainerCredentialsEndpoint.FullUriVariable, fullUri)).Resolve());

        Assert.Equal("no_credentials", error.Reason);
        Assert.Contains(fullUri, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationAsync_TokenFileAndToken_ReadsTheFileEachTime()
    {
        var file = Path.GetTempFileName();
        try
        {
            var endpoint = Endpoint((ContainerCredentialsEndpoint.TokenFileVariable, file), (ContainerCredentialsEndpoint.TokenVariable, "static"));
            await File.WriteAllTextAsync(file, "first", TestContext.Current.CancellationToken);
            var first = await endpoint.AuthorizationAsync(TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(file, "second", TestContext.Current.CancellationToken);

            var second = await endpoint.AuthorizationAsync(TestContext.Current.CancellationToken);

            Assert.Equal(("first", "second"), (first, second));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task AuthorizationAsync_TokenWithLineBreak_RefusesWithoutEchoingIt()
    {
        var endpoint = Endpoint((ContainerCredentialsEndpoint.TokenVariable, "secret-token\r\nX-Injected: 1"));

        var error = await Assert.ThrowsAsync<RegistryException>(() => endpoint.AuthorizationAsync(TestContext.Current.CancellationToken));

        Assert.Equal("no_credentials", error.Reason);
        Assert.DoesNotContain("secret-token", error.Message, StringComparison.Ordinal);
    }
}
