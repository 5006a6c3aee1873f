namespace SecretRotator.Tests.Fakes.Kubernetes;

public sealed class FakeLabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["app"] = "web", ["tier"] = "gold", ["empty"] = "", ["example.com/team"] = "a", ["replicas"] = "3",
    };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app = web", true)]
    [InlineData("app=api", false)]
    [InlineData("app!=api", true)]
    [InlineData("app!=web", false)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (api,web)", true)]
    [InlineData("app in (api)", false)]
    [InlineData("missing in (x)", false)]
    [InlineData("app notin (api)", true)]
    [InlineData("app notin (web,api)", false)]
    [InlineData("missing notin (x)", true)]
    [InlineData("app", true)]
    [InlineData("missing", false)]
    [InlineData("!missing", true)]
    [InlineData("!app", false)]
    [InlineData("empty=", true)]
    [InlineData("empty in (,x)", true)]
    [InlineData("example.com/team=a", true)]
    [InlineData("app=web,tier=gold", true)]
    [InlineData("app=web,tier=silver", false)]
    [InlineData("app in (web), !missing, tier notin (bronze)", true)]
    [InlineData("replicas>2", true)]
    [InlineData("replicas<3", false)]
    public void Matches_Selector_FollowsApimachinerySemantics(string selector, bool expected)
    {
        var parsed = FakeLabelSelector.Parse(selector);

        Assert.Equal(expected, parsed.Matches(Labels));
    }

    [Theory]
    [InlineData("app in web")]
    [InlineData("app in (web")]
    [InlineData("!")]
    [InlineData(",app")]
    [InlineData("app web")]
    [InlineData("app=web,")]
    [InlineData("bad key=x")]
    [InlineData("app=bad value!")]
    [InlineData("replicas>x")]
    public void Parse_Malformed_ThrowsFormatException(string selector)
    {
        Assert.Throws<FormatException>(() => FakeLabelSelector.Parse(selector));
    }
}
