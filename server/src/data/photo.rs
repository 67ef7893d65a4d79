//! Decoding photos natively: PNG, JPEG and WebP of any color type (grayscale, alpha, 16-bit,
//! CMYK JPEG) to RGBA8, EXIF orientation applied, with limits so that a huge or broken file is
//! a clear error for that one item and never takes the process down.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbaImage};
use thiserror::Error;

/// Largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Largest decoded size accepted, in bytes (RGBA8 of 40 megapixels and the decoder's own).
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// Why a photo could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhotoError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not PNG, JPEG or WebP.
    #[error("not a PNG, JPEG or WebP image")]
    UnknownFormat,
    /// The image is larger than [`MAX_SIDE`] on a side (or its decoding needs too much memory).
    #[error("the image is too large ({0}); the limit is {MAX_SIDE} pixels per side")]
    TooLarge(String),
    /// The file is damaged or truncated.
    #[error("the image is corrupt: {0}")]
    Corrupt(String),
}

impl PhotoError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Empty => "PHOTO_EMPTY",
            PhotoError::UnknownFormat => "PHOTO_UNKNOWN_FORMAT",
            PhotoError::TooLarge(_) => "PHOTO_TOO_LARGE",
            PhotoError::Corrupt(_) => "PHOTO_CORRUPT",
        }
    }
}

/// Decodes `bytes` to upright RGBA8.
pub fn decode_photo(bytes: &[u8]) -> Result<RgbaImage, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    if reader.format().is_none() {
        return Err(PhotoError::UnknownFormat);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(PhotoError::Corrupt(format!("{w}x{h} pixels")));
    }
    let orientation = decoder.orientation().map_err(classify)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    image.apply_orientation(orientation);
    Ok(image.to_rgba8())
}

/// Rewrites the size in a PNG's header (and the header's CRC): a small file that announces a
/// huge image, as a hostile or broken upload would.
pub fn set_png_size(png: &mut [u8], width: u32, height: u32) {
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]);
    png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
}

fn classify(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(l) => PhotoError::TooLarge(l.to_string()),
        image::ImageError::Unsupported(u) => PhotoError::Corrupt(u.to_string()),
        other => PhotoError::Corrupt(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Luma, Rgba};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn grayscale_sixteen_bit_and_alpha_become_rgba8() {
        let gray16 =
            DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(3, 2, Luma([65535u16])));
        let rgba = decode_photo(&encode(gray16, ImageFormat::Png)).unwrap();
        assert_eq!(rgba.dimensions(), (3, 2));
        assert_eq!(rgba.get_pixel(0, 0), &Rgba([255, 255, 255, 255]));
        let alpha = DynamicImage::ImageRgba8(RgbaImage::from_pixel(2, 2, Rgba([10, 20, 30, 40])));
        let rgba = decode_photo(&encode(alpha, ImageFormat::Png)).unwrap();
        assert_eq!(rgba.get_pixel(1, 1), &Rgba([10, 20, 30, 40]));
    }

    #[test]
    fn broken_files_get_their_own_errors() {
        assert_eq!(decode_photo(&[]).unwrap_err().code(), "PHOTO_EMPTY");
        assert_eq!(
            decode_photo(b"hello, not an image").unwrap_err().code(),
            "PHOTO_UNKNOWN_FORMAT"
        );
        let png = encode(
            DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255]))),
            ImageFormat::Png,
        );
        assert_eq!(
            decode_photo(&png[..png.len() / 2]).unwrap_err().code(),
            "PHOTO_CORRUPT"
        );
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // A PNG header announcing 20000x20000 pixels: refused from the header alone.
        let mut png = encode(
            DynamicImage::ImageLuma8(image::ImageBuffer::from_pixel(1, 1, Luma([0u8]))),
            ImageFormat::Png,
        );
        set_png_size(&mut png, 20_000, 20_000);
        assert_eq!(decode_photo(&png).unwrap_err().code(), "PHOTO_TOO_LARGE");
    }
}
