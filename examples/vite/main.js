// Vite bundles the package's worker (kindling/worker starts it with new Worker(new URL(…))).
import { WorkerSession } from 'kindling/worker';

const session = await WorkerSession.load('./model/');
const img = document.getElementById('digit');
await img.decode();
const ctx = new OffscreenCanvas(img.naturalWidth, img.naturalHeight).getContext('2d');
ctx.drawImage(img, 0, 0);
const { data, width, height } = ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight);
const prediction = await session.predict(await session.preprocessImage(data, width, height), 1);
document.getElementById('out').textContent = prediction.items[0].topK[0].label;
