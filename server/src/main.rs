use atende_server::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    atende_server::telemetry::init();
    let settings = Settings::from_env()?;
    let application = Application::build(settings).await?;
    tracing::info!("Atende em http://{}", application.address());
    application.run_until_stopped().await?;
    Ok(())
}
