using System.Text.Json;
using SecretRotator.Registries.Gcr;

namespace SecretRotator.Tests.Gcr;

/// <summary>The generateAccessToken body, written by a source-generated context (no reflection, Native AOT).</summary>
public sealed class IamRequestBodyTests
{
    [Fact]
    public void Serialize_WithDelegates_WritesScopeLifetimeAndDelegatesInThatOrder()
    {
        var body = JsonSerializer.Serialize(new GenerateAccessTokenRequest(["https://www.googleapis.com/auth/cloud-platform"], "3600s",
            ["projects/-/serviceAccounts/hop@p.iam.gserviceaccount.com"]), IamJson.Default.GenerateAccessTokenRequest);

        Assert.Equal("""{"scope":["https://www.googleapis.com/auth/cloud-platform"],"lifetime":"3600s","delegates":["projects/-/serviceAccounts/hop@p.iam.gserviceaccount.com"]}""", body);
    }

    [Fact]
    public void Serialize_NoDelegates_LeavesTheFieldOut()
    {
        var body = JsonSerializer.Serialize(new GenerateAccessTokenRequest(["https://www.googleapis.com/auth/cloud-platform"], "3600s", null),
            IamJson.Default.GenerateAccessTokenRequest);

        Assert.Equal("""{"scope":["https://www.googleapis.com/auth/cloud-platform"],"lifetime":"3600s"}""", body);
    }
}
