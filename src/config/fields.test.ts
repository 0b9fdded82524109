import { z } from 'zod';
import { defaultSentence, storage, withDefault } from './fields';

describe("a field's default is stated from its value", () => {
  test('the sentence shows text and numbers bare, lists and maps as JSON, and a note after the value', () => {
    expect(defaultSentence('15d')).toBe('Default: 15d.');
    expect(defaultSentence(0.95)).toBe('Default: 0.95.');
    expect(defaultSentence(false, '(services send to the gateway Service)')).toBe('Default: false (services send to the gateway Service).');
    expect(defaultSentence(['postgres', 'pg'])).toBe('Default: ["postgres", "pg"].');
    expect(defaultSentence({ 'nvidia.com/gpu.present': 'true' })).toBe('Default: {"nvidia.com/gpu.present": "true"}.');
  });

  test('withDefault gives the field that default and ends its description with it', () => {
    const field = withDefault(z.string(), '120h', 'How long silences are kept.');
    expect(field.parse(undefined)).toBe('120h');
    expect(field.parse('1h')).toBe('1h');
    expect(field.description).toBe('How long silences are kept. Default: 120h.');
  });

  test('a volume states its size default on the section and on the size', () => {
    const volume = storage('10Gi', 'The data volume.', 'on the default StorageClass');
    expect(volume.parse(undefined)).toEqual({ size: '10Gi' });
    expect(volume.description).toBe('The data volume. Default: 10Gi on the default StorageClass.');
    expect(volume.unwrap().shape.size.description).toBe('Size of the PersistentVolumeClaim. Default: 10Gi.');
  });
});
