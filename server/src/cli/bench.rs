//! `kindling bench train`: the training recipes of the README, timed, with their accuracy on
//! the held-out test splits. Numbers to print, not a timed test.

use clap::Args;

use super::train::{TrainArgs, print_report, train_bundle};

/// Arguments of `kindling bench train`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Data sets to train on, comma-separated: `fashion-mnist`, `mnist`.
    #[arg(long, default_value = "mnist,fashion-mnist", value_delimiter = ',')]
    pub data: Vec<String>,
    /// Maximum epochs per data set (early stopping may end sooner).
    #[arg(long, default_value_t = 12)]
    pub epochs: usize,
    /// Write each bundle under this directory (`<dir>/<data>`).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// Runs `kindling bench train`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for data in &args.data {
        eprintln!("== {data}");
        let train_args = TrainArgs::recipe(data, args.epochs);
        let (outcome, bundle) = train_bundle(&train_args)?;
        print_report(&outcome);
        if let Some(dir) = &args.out {
            bundle.write_dir(&dir.join(data))?;
        }
        rows.push(format!(
            "| {data} | cnn | {} / {} / {} | {} | {:.0} s | {:.0} | {:.2}% |",
            outcome.split_sizes[0],
            outcome.split_sizes[1],
            outcome.split_sizes[2],
            outcome.history.len(),
            outcome.train_seconds,
            outcome.items_per_second,
            100.0 * outcome.test.accuracy
        ));
    }
    println!(
        "\n| data | arch | train / val / test | epochs | training time | images/s | test accuracy |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}
