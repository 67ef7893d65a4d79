//! `kindling fixture-photos`: a small photo folder for the tests, made from real photos (the
//! scikit-image samples): per source photo a class of crops at other offsets, scales and
//! mirrorings, saved as JPEG, PNG and WebP at phone-photo-like sizes — plus the bad files a
//! careless import meets (corrupt, empty, absurd dimensions), which must be skipped.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat};

/// Arguments of `kindling fixture-photos`.
#[derive(Debug, Args)]
pub struct FixturePhotosArgs {
    /// Folder with the source photos.
    #[arg(long)]
    pub from: PathBuf,
    /// `class=file` pairs: each source photo becomes one class.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "cat=chelsea.png,coffee=coffee.png,rocket=rocket.jpg"
    )]
    pub classes: Vec<String>,
    /// Photos per class.
    #[arg(long, default_value_t = 16)]
    pub per_class: usize,
    /// Output folder (one subfolder per class).
    #[arg(long)]
    pub out: PathBuf,
}

/// Deterministic numbers in `[0, 1)` (xorshift).
struct Rng(u32);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 >> 8) as f32 / (1u32 << 24) as f32
    }
}

/// Runs `kindling fixture-photos`.
pub fn run(args: FixturePhotosArgs) -> anyhow::Result<()> {
    let mut rng = Rng(0x9e37_79b9);
    for pair in &args.classes {
        let (class, file) = pair
            .split_once('=')
            .with_context(|| format!("`{pair}`: expected class=file"))?;
        let bytes = std::fs::read(args.from.join(file))?;
        let source = DynamicImage::ImageRgba8(crate::data::photo::decode_photo(&bytes)?);
        let dir = args.out.join(class);
        std::fs::create_dir_all(&dir)?;
        let (w, h) = (source.width(), source.height());
        for i in 0..args.per_class {
            let scale = 0.6 + 0.35 * rng.next();
            let (cw, ch) = ((w as f32 * scale) as u32, (h as f32 * scale) as u32);
            let x = ((w - cw) as f32 * rng.next()) as u32;
            let y = ((h - ch) as f32 * rng.next()) as u32;
            let mut crop = source.crop_imm(x, y, cw, ch);
            if i % 2 == 1 {
                crop = crop.fliph();
            }
            let side = 160 + (rng.next() * 160.0) as u32;
            let small = crop.resize(side, side, FilterType::Triangle);
            let (ext, format) = match i % 4 {
                0 => ("png", ImageFormat::Png),
                1 => ("webp", ImageFormat::WebP),
                _ => ("jpg", ImageFormat::Jpeg),
            };
            let path = dir.join(format!("{class}{i:02}.{ext}"));
            let img = if format == ImageFormat::Jpeg {
                DynamicImage::ImageRgb8(small.to_rgb8())
            } else {
                small
            };
            img.save_with_format(&path, format)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    // The bad files, one per kind, in the first class's folder.
    let first = args
        .classes
        .first()
        .and_then(|p| p.split_once('='))
        .map(|(c, _)| c)
        .context("no classes")?;
    let dir = args.out.join(first);
    let good = std::fs::read(dir.join(format!("{first}02.jpg")))?;
    // A JPEG start-of-image marker, then noise where the headers should be.
    let mut corrupt = good[..3].to_vec();
    corrupt.extend(
        good[3..200]
            .iter()
            .map(|b| b.wrapping_mul(31).wrapping_add(7)),
    );
    std::fs::write(dir.join("zz-corrupt.jpg"), corrupt)?;
    std::fs::write(dir.join("zz-empty.png"), b"")?;
    let mut huge = Vec::new();
    DynamicImage::new_luma8(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut huge), ImageFormat::Png)?;
    crate::data::photo::set_png_size(&mut huge, 30_000, 30_000);
    std::fs::write(dir.join("zz-huge.png"), huge)?;
    println!(
        "wrote {} photos per class for {} classes, and 3 bad files, to {}",
        args.per_class,
        args.classes.len(),
        args.out.display()
    );
    Ok(())
}
