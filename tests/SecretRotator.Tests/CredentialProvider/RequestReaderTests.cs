using SecretRotator.CredentialProvider;

namespace SecretRotator.Tests.CredentialProvider;

public sealed class RequestReaderTests
{
    [Theory]
    [InlineData("", "stdin is empty")]
    [InlineData("  \n", "stdin is empty")]
    [InlineData("{\"apiVersion\": ", "stdin is not valid JSON at line 1")]
    [InlineData("null", "JSON null")]
    [InlineData("{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1beta1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"a.io/b\"}", "apiVersion 'credentialprovider.kubelet.k8s.io/v1beta1' is not supported")]
    [InlineData("{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"ExecCredential\",\"image\":\"a.io/b\"}", "kind 'ExecCredential' is not CredentialProviderRequest")]
    [InlineData("{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderRequest\"}", "no image")]
    [InlineData("{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"A.io/Upper\"}", "must be lowercase")]
    public void Parse_BadRequest_ThrowsOneLineNamingTheFault(string stdin, string expected)
    {
        // Act
        var e = Assert.Throws<CredentialProviderException>(() => RequestReader.Parse(stdin));

        // Assert
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Parse_InvalidJsonAfterToken_DoesNotQuoteTheToken()
    {
        // Arrange: the parser fails right after the token; its own message could quote the input.
        const string stdin = "{\"serviceAccountToken\":\"secret-token-value\" oops}";

        // Act
        var e = Assert.Throws<CredentialProviderException>(() => RequestReader.Parse(stdin));

        // Assert
        Assert.DoesNotContain("secret-token-value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TaggedImage_LooksUpTheRepository()
    {
        // Act
        var (_, image) = RequestReader.Parse("{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"CredentialProviderRequest\",\"image\":\"nginx:1.27\"}");

        // Assert
        Assert.Equal("docker.io/library/nginx", image.Repository);
    }
}
