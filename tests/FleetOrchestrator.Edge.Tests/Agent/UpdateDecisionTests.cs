using FleetOrchestrator.Edge.Agent;

namespace FleetOrchestrator.Edge.Tests.Agent;

public class UpdateDecisionTests
{
    private const string A1 = "r/f/a@sha256:" + "a1";
    private const string A2 = "r/f/a@sha256:" + "a2";
    private const string B1 = "r/f/b@sha256:" + "b1";
    private const string C1 = "r/f/c@sha256:" + "c1";

    /// <summary>installed; target; selection ("*" = absent, "" = empty list, else comma list); fetch; start; remove; unchanged; absent.</summary>
    public static TheoryData<string, string, string, string, string, string, string, string> Cases => new()
    {
        // first install, every app of the target
        { "", "a=A1,b=B1", "*", "a,b", "a,b", "", "", "" },
        // nothing changed: nothing fetched, every app still started
        { "a=A1,b=B1", "a=A1,b=B1", "*", "", "a,b", "", "a,b", "" },
        // one app's URI changed
        { "a=A1,b=B1", "a=A2,b=B1", "*", "a", "a,b", "", "b", "" },
        // an app dropped from the target is removed, a new one fetched
        { "a=A1,b=B1", "a=A1,c=C1", "*", "c", "a,c", "b", "a", "" },
        // empty selection: no apps at all, running ones removed
        { "a=A1,b=B1", "a=A1,b=B1", "", "", "", "a,b", "", "" },
        // a list selects; a deselected app is removed even though the target keeps it
        { "a=A1,b=B1", "a=A2,b=B1", "b", "", "b", "a", "b", "" },
        // a selected name missing from the target is reported, not fetched
        { "", "a=A1", "a,zz", "a", "a", "", "", "zz" },
        // empty target
        { "a=A1", "", "*", "", "", "a", "", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_what_to_fetch_start_and_remove(string installed, string target, string selection,
        string fetch, string start, string remove, string unchanged, string absent)
    {
        var plan = UpdateDecision.Decide(Apps(installed), Apps(target), selection == "*" ? null : List(selection));

        Assert.Equal(List(fetch), plan.Fetch);
        Assert.Equal(List(fetch), plan.Install);
        Assert.Equal(List(start), plan.Start);
        Assert.Equal(List(remove), plan.Remove);
        Assert.Equal(List(unchanged), plan.Unchanged);
        Assert.Equal(List(absent), plan.SelectedButAbsent);
        Assert.Equal(fetch.Length == 0 && remove.Length == 0, plan.ChangesNothing);
    }

    [Fact]
    public void Lists_are_in_ordinal_order_whatever_the_input_order()
    {
        var target = new Dictionary<string, string> { ["b"] = B1, ["a"] = A1, ["C"] = C1 };
        var plan = UpdateDecision.Decide(new Dictionary<string, string>(), target, null);
        Assert.Equal(["C", "a", "b"], plan.Fetch);
    }

    private static Dictionary<string, string> Apps(string text) =>
        List(text).Select(pair => pair.Split('=')).ToDictionary(p => p[0], p => p[1] switch
        {
            "A1" => A1, "A2" => A2, "B1" => B1, "C1" => C1, var other => throw new ArgumentException(other),
        });

    private static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
