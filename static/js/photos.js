// Camera photos are shrunk in the browser before they are stored: at most 1600 px on the
// long side as JPEG (a phone photo of 4–8 MB becomes ~300 kB), plus a small thumbnail for the
// list. Re-encoding also drops EXIF (which may hold the phone's location history).

const MAX_SIDE = 1600;
const THUMB_SIDE = 240;

async function decode(file) {
  if ('createImageBitmap' in globalThis) {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      // fall through: some browsers decode more formats through <img>
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function encode(source, width, height, side, quality) {
  const scale = Math.min(1, side / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(source, 0, 0, w, h);
  const blob = await new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), 'image/jpeg',
      quality);
  });
  return { data: await blob.arrayBuffer(), width: w, height: h };
}

// -> {id, type, data: ArrayBuffer, thumb: ArrayBuffer, width, height}
export async function preparePhoto(file) {
  const image = await decode(file);
  const width = image.width || image.naturalWidth;
  const height = image.height || image.naturalHeight;
  const full = await encode(image, width, height, MAX_SIDE, 0.85);
  const thumb = await encode(image, width, height, THUMB_SIDE, 0.7);
  if (image.close) image.close();
  return { id: crypto.randomUUID(), type: 'image/jpeg', data: full.data, thumb: thumb.data,
    width: full.width, height: full.height };
}

export function thumbUrl(photo) {
  const bytes = photo.thumb || photo.data;
  return bytes ? URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' })) : null;
}
