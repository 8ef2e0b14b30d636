using Orleans.LlmRec.Silo.Hosting;

var builder = WebApplication.CreateBuilder(ServiceHost.Options(args));
builder.AddLlmRecServices();

var app = builder.Build();
app.MapLlmRecApis();
app.Run();
