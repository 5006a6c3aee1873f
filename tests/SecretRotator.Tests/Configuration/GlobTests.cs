using SecretRotator.Configuration;

namespace SecretRotator.Tests.Configuration;

public sealed class GlobTests
{
    [Theory]
    [InlineData("default")]
    [InlineData("team-*")]
    [InlineData("*")]
    [InlineData("a?c")]
    [InlineData("*-prod-?")]
    [InlineData("0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghijklmn")] // 63
    public void Validate_NamespaceGlob_ReturnsNull(string glob) => Assert.Null(Glob.Validate(glob));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghijklmno", "longer than 63")] // 64
    [InlineData("Team-*", "'T'")]
    [InlineData("team_*", "'_'")]
    [InlineData("a/b", "'/'")]
    [InlineData("a.b", "'.'")]
    [InlineData("team-[ab]", "'['")]
    [InlineData("équipe", "'é'")]
    [InlineData("a b", "' '")]
    public void Validate_NotANamespaceGlob_SaysWhy(string glob, string expected)
    {
        var problem = Glob.Validate(glob);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("team-*", "team-a", true)]
    [InlineData("team-*", "team-", true)]
    [InlineData("team-*", "xteam-a", false)]
    [InlineData("team-*", "team", false)]
    [InlineData("*-prod", "a-b-prod", true)]
    [InlineData("*-prod", "a-prod-x", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("a?c", "abbc", false)]
    [InlineData("*", "anything", true)]
    [InlineData("default", "default", true)]
    [InlineData("default", "default2", false)]
    [InlineData("default", "Default", false)]
    [InlineData("a.*", "abc", false)] // regex characters stay literal
    [InlineData("a+*", "aa", false)]
    [InlineData("a+*", "a+b", true)]
    [InlineData("team-*", "team-a\n", false)]
    [InlineData("a?c", "abc\n", false)]
    public void IsMatch_GlobAndName_MatchesWholeName(string glob, string name, bool expected) =>
        Assert.Equal(expected, Glob.IsMatch(glob, name));

    [Theory]
    [InlineData("team-*", true)]
    [InlineData("a?", true)]
    [InlineData("default", false)]
    public void IsPattern_Glob_DetectsWildcards(string glob, bool expected) => Assert.Equal(expected, Glob.IsPattern(glob));

    [Theory]
    [InlineData("team-a", true)] // a glob
    [InlineData("default", true)] // an exact name
    [InlineData("team-skip", false)] // excluded
    [InlineData("other", false)] // not named
    public void AdmitsName_NamesAndExclude_BothMustAgree(string ns, bool expected)
    {
        var selection = new NamespaceSelection(["team-*", "default"], "pull-secrets=enabled", ["*-skip"]);

        Assert.Equal(expected, selection.AdmitsName(ns));
    }

    [Fact]
    public void AdmitsName_NoNames_OnlyExcludeDecides()
    {
        var selection = new NamespaceSelection([], "pull-secrets=enabled", ["kube-*"]);

        Assert.True(selection.AdmitsName("anything"));
        Assert.False(selection.AdmitsName("kube-system"));
        Assert.False(Glob.MatchesAny([], "anything"));
    }
}
