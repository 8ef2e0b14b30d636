using Orleans.LlmRec.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddLlmRecServices();

var app = builder.Build();
app.MapLlmRecApis();
app.Run();
