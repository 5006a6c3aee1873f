using Amazon.Runtime;
using SecretRotator.Registries;
using SecretRotator.Registries.Ecr;

namespace SecretRotator.Tests.Ecr;

/// <summary>
/// An SDK error without an AWS error code (instance metadata, a container endpoint's plain answer) reads as its message
/// alone; with a code, as "Code: message". Once the first case printed ": " before the message.
/// </summary>
public sealed class AwsCredentialErrorTests
{
    [Fact]
    public async Task GetAsync_ServiceErrorWithoutCode_MessageHasNoEmptyCodePrefix()
    {
        var chain = new AwsCredentialChain(new Fixed(new Failing(new AmazonServiceException("Unable to retrieve credentials from the instance metadata service"))));

        var e = await Assert.ThrowsAsync<RegistryException>(() => chain.GetAsync("ecr-prod", role: null, TestContext.Current.CancellationToken));

        Assert.Equal("resolving AWS credentials failed: Unable to retrieve credentials from the instance metadata service", e.Message);
    }

    [Fact]
    public async Task GetAsync_ServiceErrorWithCode_MessageIsCodeThenText()
    {
        var error = new AmazonServiceException("The security token included in the request is expired") { ErrorCode = "ExpiredToken", StatusCode = System.Net.HttpStatusCode.Forbidden };
        var chain = new AwsCredentialChain(new Fixed(new Failing(error)));

        var e = await Assert.ThrowsAsync<RegistryException>(() => chain.GetAsync("ecr-prod", role: null, TestContext.Current.CancellationToken));

        Assert.Equal("resolving AWS credentials failed: ExpiredToken: The security token included in the request is expired", e.Message);
        Assert.Equal("expired_token", e.Reason);
    }

    private sealed class Fixed(AWSCredentials credentials) : IAwsBaseCredentials
    {
        public Task<AWSCredentials> ResolveAsync(CancellationToken cancellationToken) => Task.FromResult(credentials);
    }

    private sealed class Failing(Exception error) : AWSCredentials
    {
        public override ImmutableCredentials GetCredentials() => throw error;

        public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromException<ImmutableCredentials>(error);
    }
}
