/**
 * The audio the simulator serves as every recording: a short sine tone as a valid WAV file
 * (RIFF, PCM, 16-bit mono), generated in code so no binary lives in the repository. 400 ms at
 * 8 kHz is 6.4 kB, small enough to keep in memory and real enough for an <audio> element.
 */
export function toneWav(options: { ms?: number; hz?: number; sampleRate?: number } = {}): Buffer {
  const ms = options.ms ?? 400;
  const hz = options.hz ?? 440;
  const sampleRate = options.sampleRate ?? 8000;
  const samples = Math.round((sampleRate * ms) / 1000);
  const dataBytes = samples * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples; i += 1) {
    // A short fade in and out, so the tone starts and ends without a click.
    const edge = Math.min(1, i / 80, (samples - i) / 80);
    const value = Math.sin((2 * Math.PI * hz * i) / sampleRate) * 0.3 * edge;
    wav.writeInt16LE(Math.round(value * 32767), 44 + i * 2);
  }
  return wav;
}
