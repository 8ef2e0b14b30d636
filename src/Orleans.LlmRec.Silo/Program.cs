using Orleans.LlmRec.Silo.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddLlmRecServices();

var app = builder.Build();
app.MapLlmRecApis();
app.Run();
