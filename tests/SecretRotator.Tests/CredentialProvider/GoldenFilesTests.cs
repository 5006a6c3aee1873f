using SecretRotator.CredentialProvider;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.CredentialProvider;

/// <summary>The golden requests and responses in TestData/credential-provider (shapes from the kubelet API reference).</summary>
public sealed class GoldenFilesTests
{
    private static string Golden(string name) => File.ReadAllText(TestData.Path($"credential-provider/{name}"));

    [Theory]
    [InlineData("response-registry.json")]
    [InlineData("response-image-not-cached.json")]
    public void KubeletCheck_AcceptedGoldenResponse_IsUsed(string file)
    {
        // Act
        var problem = KubeletResponseCheck.Problem(Golden(file));

        // Assert
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("response-without-cache-key-type.json", "did not return a valid cacheKeyType: \"\"")]
    [InlineData("response-service-account-cache-key-type.json", "did not return a valid cacheKeyType: \"ServiceAccount\"")]
    [InlineData("response-wrong-api-version.json", "did not match expected apiVersion")]
    [InlineData("response-unknown-field.json", "unknown field \"expiresAt\"")]
    public void KubeletCheck_RejectedGoldenResponse_NamesKubeletsReason(string file, string reason)
    {
        // Act
        var problem = KubeletResponseCheck.Problem(Golden(file));

        // Assert
        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void KubeletCheck_TokenEchoedAsPassword_IsRejected()
    {
        // Arrange: a plugin that hands the pod's token back as the registry password.
        var response = Golden("response-registry.json").Replace("golden-password", "the-sa-token", StringComparison.Ordinal);

        // Act
        var problem = KubeletResponseCheck.Problem(response, serviceAccountToken: "the-sa-token");

        // Assert
        Assert.Contains("service account token as the password", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GoldenRequest_ReadsImage()
    {
        // Act
        var (request, image) = RequestReader.Parse(Golden("request.json"));

        // Assert
        Assert.Equal("registry.example.com/team/app", request.Image);
        Assert.Equal("registry.example.com/team/app", image.Repository);
        Assert.Null(request.ServiceAccountToken);
    }

    [Fact]
    public void Parse_GoldenTokenRequest_ReadsTokenAndAnnotations()
    {
        // Act
        var (request, _) = RequestReader.Parse(Golden("request-service-account-token.json"));

        // Assert
        Assert.StartsWith("eyJ", request.ServiceAccountToken, StringComparison.Ordinal);
        Assert.Equal("arn:aws:iam::123456789012:role/team-a-pull", request.ServiceAccountAnnotations!["eks.amazonaws.com/ecr-role-arn"]);
        Assert.DoesNotContain(request.ServiceAccountToken!, request.ToString(), StringComparison.Ordinal);
    }
}
