using SecretRotator.Registries;

namespace SecretRotator.Tests.Gcr;

public sealed class GcrRegistryProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetCredentialAsync_ServiceAccountKeyTenMinuteToken_EveryServerGetsTokenExpiringExactlyAtIssuePlusExpiresIn()
    {
        await using var rig = await GcrTestRig.StartAsync();
        rig.Google.ExpiresInSeconds = 600;
        var issuedAt = rig.Time.GetUtcNow();

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io, us-docker.pkg.dev]\ncredentialsFile: {rig.KeyFile}"), Ct);

        var token = Assert.Single(rig.Google.IssuedTokens);
        Assert.Equal(["gcr.io", "us-docker.pkg.dev"], credential.Entries.Select(e => e.Server));
        Assert.All(credential.Entries, e => Assert.Equal("oauth2accesstoken", e.Username));
        Assert.All(credential.Entries, e => Assert.Equal(token, e.Password));
        Assert.Equal(issuedAt + TimeSpan.FromMinutes(10), credential.ExpiresAt);
        Assert.Contains("https://www.googleapis.com/auth/cloud-platform", Assert.Single(rig.Google.VerifiedScopes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_GoogleApplicationCredentialsVariable_UsesThatKeyFile()
    {
        await using var rig = await GcrTestRig.StartAsync();
        rig.Environment["GOOGLE_APPLICATION_CREDENTIALS"] = rig.KeyFile;

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry("servers: [europe-docker.pkg.dev]"), Ct);

        Assert.Equal(Assert.Single(rig.Google.IssuedTokens), Assert.Single(credential.Entries).Password);
    }

    [Fact]
    public async Task GetCredentialAsync_KeyNotKnownToGoogle_FailsWithGoogleErrorDescriptionAndNoKeyMaterial()
    {
        await using var rig = await GcrTestRig.StartAsync();
        using var otherKey = System.Security.Cryptography.RSA.Create(2048);
        var file = rig.WriteFile("other.json", rig.Google.KeyFileJson(signingKey: otherKey));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}"), Ct));

        Assert.Equal("auth_failed", ex.Reason);
        Assert.Contains("Invalid JWT Signature.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_grant", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", ex.Message, StringComparison.Ordinal);
        Assert.Empty(rig.Google.IssuedTokens);
    }

    [Fact]
    public async Task GetCredentialAsync_TokenEndpointFailsOnce_RetriesAndSucceeds()
    {
        await using var rig = await GcrTestRig.StartAsync();
        rig.Google.TransientFailures = 1;

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {rig.KeyFile}"), Ct);

        Assert.Equal(2, rig.Google.TokenRequests);
        Assert.Equal(Assert.Single(rig.Google.IssuedTokens), credential.Entries[0].Password);
    }

    [Fact]
    public async Task GetCredentialAsync_EndpointOverride_ReplacesTokenUriOfKeyFile()
    {
        await using var rig = await GcrTestRig.StartAsync();
        var file = rig.WriteFile("elsewhere.json", rig.Google.KeyFileJson(tokenUri: new Uri("http://127.0.0.1:9/token")));

        var credential = await rig.Provider.GetCredentialAsync(
            rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}\nendpoint: {rig.Google.TokenUri}"), Ct);

        Assert.Equal(Assert.Single(rig.Google.IssuedTokens), credential.Entries[0].Password);
    }

    [Fact]
    public async Task GetCredentialAsync_WorkloadIdentityFederationFile_ExchangesSubjectTokenAtSts()
    {
        await using var rig = await GcrTestRig.StartAsync();
        rig.Google.ExpiresInSeconds = 900;
        var subjectTokenFile = rig.WriteFile("k8s-token", rig.Google.SubjectToken);
        rig.Environment["GOOGLE_APPLICATION_CREDENTIALS"] = rig.WriteFile("federation.json", rig.Google.ExternalAccountJson(subjectTokenFile));
        var issuedAt = rig.Time.GetUtcNow();

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry("servers: [us-docker.pkg.dev]"), Ct);

        Assert.StartsWith("ya29.federated-", credential.Entries[0].Password, StringComparison.Ordinal);
        Assert.Equal(issuedAt.AddMinutes(15), credential.ExpiresAt);
    }

    [Fact]
    public async Task GetCredentialAsync_FederationSubjectTokenRejected_FailsWithStsDescription()
    {
        await using var rig = await GcrTestRig.StartAsync();
        var subjectTokenFile = rig.WriteFile("k8s-token", "a-token-sts-does-not-trust");
        var file = rig.WriteFile("federation.json", rig.Google.ExternalAccountJson(subjectTokenFile));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}"), Ct));

        Assert.Equal("auth_failed", ex.Reason);
        Assert.Contains("The ID Token provided is invalid.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a-token-sts-does-not-trust", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_MetadataServer_SendsFlavorHeaderAndScope()
    {
        await using var rig = await GcrTestRig.StartAsync();
        rig.Google.ExpiresInSeconds = 1800;
        var issuedAt = rig.Time.GetUtcNow();

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\nendpoint: {rig.Google.MetadataTokenUri}"), Ct);

        Assert.StartsWith("ya29.gke-", credential.Entries[0].Password, StringComparison.Ordinal);
        Assert.Contains("cloud-platform", Assert.Single(rig.Google.VerifiedScopes), StringComparison.Ordinal);
        Assert.Equal(issuedAt.AddMinutes(30), credential.ExpiresAt);
    }

    [Fact]
    public async Task GetCredentialAsync_Impersonate_UsesIamTokenWithItsExpiry()
    {
        await using var rig = await GcrTestRig.StartAsync();
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry(
            $"servers: [gcr.io]\ncredentialsFile: {rig.KeyFile}\nimpersonate: {target}\niamEndpoint: {rig.Google.BaseAddress}"), Ct);

        Assert.Equal($"{target}:generateAccessToken", Assert.Single(rig.Google.ImpersonationCallers));
        Assert.StartsWith("ya29.impersonated-", credential.Entries[0].Password, StringComparison.Ordinal);
        // The library turns expireTime into expires_in on its own clock; ours may only be earlier, never later.
        Assert.NotNull(credential.ExpiresAt);
        Assert.InRange(credential.ExpiresAt.Value, rig.Google.LastImpersonatedExpiry!.Value.AddMinutes(-1), rig.Google.LastImpersonatedExpiry.Value);
    }

    [Fact]
    public async Task GetCredentialAsync_ImpersonationDenied_FailsForbiddenWithIamMessageAndStatus()
    {
        await using var rig = await GcrTestRig.StartAsync();
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";
        rig.Google.DeniedTargets.Add(target);

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry(
            $"servers: [gcr.io]\ncredentialsFile: {rig.KeyFile}\nimpersonate: {target}\niamEndpoint: {rig.Google.BaseAddress}"), Ct));

        Assert.Equal("forbidden", ex.Reason);
        Assert.Contains("HTTP 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", ex.Message, StringComparison.Ordinal);
        Assert.Contains(target, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("does not contain a JSON object", ex.Message, StringComparison.Ordinal);
        var caller = Assert.Single(rig.Google.ImpersonationRequests).CallerToken;
        Assert.DoesNotContain(caller, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_ImpersonationCallerTokenRejected_FailsUnauthorizedWithIamMessage()
    {
        await using var rig = await GcrTestRig.StartAsync();
        var iam = await new Fakes.Google.GoogleFake().StartAsync();   // another Google: it never issued the caller's token
        await using var _ = iam;

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry(
            $"servers: [gcr.io]\ncredentialsFile: {rig.KeyFile}\nimpersonate: ci@p.iam.gserviceaccount.com\niamEndpoint: {iam.BaseAddress}"), Ct));

        Assert.Equal("unauthorized", ex.Reason);
        Assert.Contains("HTTP 401 UNAUTHENTICATED: Request had invalid authentication credentials.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_MetadataServerWithImpersonate_CallsConfiguredIamEndpointWithMetadataToken()
    {
        // GKE workload identity, then a second service account: the metadata token is the caller of generateAccessToken.
        await using var rig = await GcrTestRig.StartAsync();
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry(
            $"servers: [gcr.io]\nendpoint: {rig.Google.MetadataTokenUri}\nimpersonate: {target}\niamEndpoint: {rig.Google.BaseAddress}"), Ct);

        var call = Assert.Single(rig.Google.ImpersonationRequests);
        Assert.Equal(target, call.Target);
        Assert.StartsWith("ya29.gke-", call.CallerToken, StringComparison.Ordinal);
        Assert.Equal(["https://www.googleapis.com/auth/cloud-platform"], call.Scopes);
        Assert.Equal("3600s", call.Lifetime);
        Assert.StartsWith("ya29.impersonated-", credential.Entries[0].Password, StringComparison.Ordinal);
        Assert.NotNull(credential.ExpiresAt);
        Assert.True(credential.ExpiresAt <= rig.Google.LastImpersonatedExpiry, $"{credential.ExpiresAt:O} is after IAM's expireTime");
    }

    [Fact]
    public async Task GetCredentialAsync_GcloudImpersonatedFileDenied_FailsForbiddenWithIamMessage()
    {
        await using var rig = await GcrTestRig.StartAsync();
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";
        rig.Google.DeniedTargets.Add(target);
        var file = rig.WriteFile("impersonated.json", rig.Google.ImpersonatedFileJson(target));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}"), Ct));

        Assert.Equal("forbidden", ex.Reason);
        Assert.Contains(target, ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_GcloudImpersonatedFile_MintsTokenWithSourceKeyToken()
    {
        await using var rig = await GcrTestRig.StartAsync();
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";
        var file = rig.WriteFile("impersonated.json", rig.Google.ImpersonatedFileJson(target));

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}"), Ct);

        var call = Assert.Single(rig.Google.ImpersonationRequests);
        Assert.Equal(target, call.Target);
        Assert.StartsWith("ya29.sa-", call.CallerToken, StringComparison.Ordinal);
        Assert.StartsWith("ya29.impersonated-", credential.Entries[0].Password, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_FederationWithImpersonationUrlDenied_FailsForbiddenWithIamMessage()
    {
        await using var rig = await GcrTestRig.StartAsync();
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";
        rig.Google.DeniedTargets.Add(target);
        var subjectTokenFile = rig.WriteFile("k8s-token", rig.Google.SubjectToken);
        var file = rig.WriteFile("federation.json", rig.Google.ExternalAccountJson(subjectTokenFile, impersonate: target));

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}"), Ct));

        Assert.Equal("forbidden", ex.Reason);
        Assert.Contains("HTTP 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("ya29.federated-", Assert.Single(rig.Google.ImpersonationRequests).CallerToken, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_FileOfUnknownType_FailsWithoutEchoingContent()
    {
        await using var rig = await GcrTestRig.StartAsync();
        var file = rig.WriteFile("bad.json", """{"type":"gdch_service_account","private_key":"s3cr3t"}""");

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {file}"), Ct));

        Assert.Equal("auth_unavailable", ex.Reason);
        Assert.Contains("gdch_service_account", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_Success_LogsNoTokenOrKey()
    {
        await using var rig = await GcrTestRig.StartAsync();

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry($"servers: [gcr.io]\ncredentialsFile: {rig.KeyFile}"), Ct);

        var records = rig.Logs.GetSnapshot();
        var record = Assert.Single(records, r => r.Id.Id == 2150);
        Assert.Contains("gar", record.Message, StringComparison.Ordinal);
        foreach (var r in records)
        {
            var text = r.Message + " " + string.Join(" ", r.StructuredState?.Select(s => s.Value) ?? []);
            Assert.DoesNotContain(credential.Entries[0].Password, text, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        }
    }
}
