// Vite serves `kindling/web` (plain ES modules + a .wasm asset it finds through import.meta.url).
import init, { Session } from 'kindling/web';

await init();
const session = await Session.load('./model/');
const img = document.getElementById('digit');
await img.decode();
const ctx = new OffscreenCanvas(img.naturalWidth, img.naturalHeight).getContext('2d');
ctx.drawImage(img, 0, 0);
const { data, width, height } = ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight);
const prediction = await session.predict(session.preprocessImage(data, width, height), 1);
document.getElementById('out').textContent = prediction.items[0].topK[0].label;
