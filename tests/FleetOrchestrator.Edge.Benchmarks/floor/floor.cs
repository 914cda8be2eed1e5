#:package Akka.Hosting
#:package Akka.Persistence.Sql.Hosting
#:package Akka.Persistence.Sql
#:package Microsoft.Data.Sqlite
#:package Microsoft.Extensions.Hosting
#:property InvariantGlobalization=true
// The floor under the idle edge agent's resident memory (docs/benchmarks.md, "Idle agent"), idling until stopped:
// the runtime alone ("bare"), a hosted ActorSystem ("akka"), or that with one persistent actor on the agent's
// journal, Akka.Persistence.Sql on SQLite ("persist"). Usage: dotnet run floor.cs -c Release -- bare|akka|persist
using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence;
using Akka.Persistence.Sql.Hosting;
using Microsoft.Extensions.Hosting;
var mode = args[0];
if (mode == "bare") { Thread.Sleep(Timeout.Infinite); return; }
var builder = Host.CreateApplicationBuilder();
builder.Services.AddAkka("floor", (akka, _) =>
{
    if (mode == "persist")
        akka.WithSqlPersistence($"Data Source={Path.GetTempPath()}/floor.db;Pooling=True", "SQLite.MS", autoInitialize: true)
            .WithActors((system, _) => system.ActorOf(Props.Create(() => new Counter()), "counter").Tell("tick"));
});
await builder.Build().RunAsync();
sealed class Counter : ReceivePersistentActor
{
    private int _count;
    public override string PersistenceId => "counter";
    public Counter()
    {
        Recover<int>(n => _count = n);
        Command<string>(_ => Persist(_count + 1, n => _count = n));
    }
}
