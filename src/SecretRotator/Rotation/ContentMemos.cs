namespace SecretRotator.Rotation;

/// <summary>
/// The memos that spare a pass re-reading the same content in every namespace (<see cref="StoredSecretFacts"/>, the
/// sources annotation in <see cref="SecretSources"/>, built secret content in <see cref="SecretBuilder"/>) hold
/// credential bytes. They are bounded, and live one pass: the runner forgets them when each full pass ends, so a
/// rotated-out token is not kept in memory past the pass that replaced it (in the daemon, at most one resync interval
/// of per-event reconciles in between). A forgotten entry only costs the next reader one parse.
/// </summary>
internal static class ContentMemos
{
    public static void Forget()
    {
        StoredSecretFacts.Forget();
        SecretSources.Forget();
        SecretBuilder.Forget();
    }
}
