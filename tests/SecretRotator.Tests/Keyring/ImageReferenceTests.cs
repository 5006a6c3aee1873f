using SecretRotator.Configuration;

namespace SecretRotator.Tests.Keyring;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io/library/nginx")]
    [InlineData("nginx:1.27", "docker.io/library/nginx")]
    [InlineData("docker.io/library/nginx", "docker.io/library/nginx")]
    [InlineData("index.docker.io/library/nginx:latest", "docker.io/library/nginx")]
    [InlineData("index.docker.io/nginx", "docker.io/library/nginx")]
    [InlineData("bitnami/redis", "docker.io/bitnami/redis")]
    [InlineData("registry-1.docker.io/library/nginx", "registry-1.docker.io/library/nginx")]
    [InlineData("ghcr.io/org/app:v1.2.3", "ghcr.io/org/app")]
    [InlineData("localhost/app", "localhost/app")]
    [InlineData("registry.local:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "registry.local:5000/team/app")]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/api")]
    [InlineData("[::1]:5000/app", "[::1]:5000/app")]
    public void TryParse_Reference_GivesTheRepositoryKubeletLooksUp(string text, string repository)
    {
        Assert.True(ImageReference.TryParse(text, out var image, out var error), error);
        Assert.Equal(repository, image.Repository);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ghcr.io/Org/app")]
    [InlineData("NGINX")]
    [InlineData("ghcr.io/org/app:")]
    [InlineData("https://ghcr.io/org/app")]
    [InlineData("ghcr.io//app")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("app@sha256:abc")]
    public void TryParse_NotAReference_FailsWithMessage(string text)
    {
        Assert.False(ImageReference.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
