import { type ExifFields, withExif } from "./exif.ts";

/**
 * The demo's photo: a real 160×120 baseline JPEG (1.5 KB; a sky, two hills and a sun), so the
 * dashboard's photo tile and /latest/photo show a picture. Shipped as bytes: nothing is encoded
 * at run time and no image tool is needed on the device. Made once with
 * `convert -size 160x120 gradient:… -quality 60 -strip` (ImageMagick), checked by test/e2e/demo.test.ts.
 */
export const DEMO_JPEG = Buffer.from(
  [
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxO",
    "UlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09P",
    "T09PT09PT0//wAARCAB4AKADASIAAhEBAxEB/8QAGwABAQADAQEBAAAAAAAAAAAAAAMCBQYEAQf/xAAwEAABBAIABAMGBwEBAAAA",
    "AAAAAQIREgMEBSExUUFxkRMiU2GSwQYVI1ShotEkM//EABoBAQACAwEAAAAAAAAAAAAAAAACAwEEBQb/xAAjEQACAgICAgIDAQAA",
    "AAAAAAAAEQECAxMEURIxIUEFFHFS/9oADAMBAAIRAxEAPwClRUpAg7TOSidRUpAgMInUVKQIDCJ1FSkCAwidRUpAgMInUVKQIDCJ",
    "1FSkCAwidRUpAgMInUVKQIDCJ1FSkCAwikCDOBBFkkYQIM4EBhGECDOBAYRhAgzgQGEYQIM4EBhGECDOBAYRhAgzgyZjc9yNY1Vc",
    "vREMTaIhyIhkoEGzx8KeqTkyNavZEkjn4flwtVyQ9qdVTwNWvP497eEXhl08bLWPKanigQZwINtlKMIEGcCAwikCCkCCDJInAgpA",
    "gMInAgpAgMInAgpAgMInAgpAgMInAgpAgMInBtOGYUbiXKqe85YTyNfBs+HvRcFPFq/wc38rNv158e4f8NvhRG35PUADyx2DS7mF",
    "MWw5GpDV5oQg9m65Mmwsc0akHng9pxZtOGs39qDgZojZPj6JwIKQIL2VopAgpAggySJwIKQIDCJwIPuR7MWNcmV7WMb1c5YRDHXz",
    "YdnEmXBka9i+KBhH2BBSBAYROBBSBAYROD49WsarnqjWp1VfAlu7uDTZ+osvXoxOqnObu9m3H/qLDEXkxOiFd8sV/pZTFNjpsWTH",
    "mxpkxORzV6KhbG52J9mLCnIam3m1Ml8TuS9Wr0U6TQ38O62G+7kRObF+3cjXJXJHjYzbHNJcG2Zutj32Ki/Iwy7jnIrcaV+fiQgQ",
    "a9fx/HrbyipOeVlmEycCCkCDeZronAgpAgMIpAgpB5N/iGrw/FfZyIiqnusTm53khCZROIZeDUcT49q6U48UZ8ycqtXk3zX7Gi4p",
    "+INrdnHhVcGBeVWrzd5qacovm+ql1cP+j1b3ENnfyW2MiqidGJya3yQw09zY0svtNfIrV8U8HeaEAUOWy5Qkdnwvj+vuVxbEYc68",
    "ua+65fkv2NzB+Zm64Pxzb1VTFkRc+BOUKvNqfJfsX0zfVim2L7qdiqIiKqqiIhpeI8baycWlDndFyeCeXc13EeK591VZ/wCeHwYn",
    "j59zwGL5n8VM0xL5kye92R6ve5XOXqqrKqYgFBcD61zmORzVVrk6KiwqHwAG/wCHcba6MW6qIvRMngvmbxERUlOaKcIbDhvFs2kq",
    "MdOTD4tVeaeRfTMvixTfF9wdXAgw1dnDt4ky4Ho5vj3TzLwbESyhE4EFIEBmEc3xT8SZOeLhmF/zzPYv8J/voczlTZzZHZMqZXvd",
    "zVzkVVU2FhY5VuRa3svrbx9Qaz2OX4T/AKVHscvwn/Sps7CxHdPRnZJrPY5fhP8ApUexy/Cf9KmzsLDdPQ2SeDFqvdze1yJ2jmep",
    "uOqQ1qonkVsLDdPQ2STq7svoKu7L6FLCw3T0Nkk6u7L6Cruy+hSwsN09DZJOruy+gq7svoUsLDdPQ2STq7svoKu7L6FLCw3T0Nkm",
    "Wtnz6uZMuBzmuT0XzOl0+O62XF/1ThyJ1Sqqi+RzFhYlXk2r6I2t5HX/AJvw/wDcf0d/g/N+H/uP6O/w5CwsS/bv1BBErCxKwsa6",
    "JFbCxKwsECthYlYWCBWwsSsLBArYWJWFggVsLErCwQK2FiVhYIFbCxKwsECthYlYWCBWwsSsLBAjYWAJAWFgABYWAAFhYAAWFgAB",
    "YWAAFhYAAWFgABYWAAFhYAA//9k=",
  ].join(""),
  "base64",
);

/** Its 64×48 thumbnail (755 bytes; `convert -resize 64x48 -quality 70 -strip`), for the EXIF segment. */
export const DEMO_THUMBNAIL = Buffer.from(
  [
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7",
    "Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7",
    "Ozs7Ozs7Ozv/wAARCAAwAEADASIAAhEBAxEB/8QAGgAAAgMBAQAAAAAAAAAAAAAAAAQDBQYHAv/EADEQAAAFAwIDBgQHAAAAAAAA",
    "AAABAgMEBRNhETESITIGFCJRcZEWQoGxI0FSU5KT0f/EABoBAAIDAQEAAAAAAAAAAAAAAAAEAQIDBgX/xAAgEQACAgEFAAMAAAAA",
    "AAAAAAACAwABEgQRITFREyJB/9oADAMBAAIRAxEAPwBm1gFrActAtDosp4WMTtYBawHLQLQMoYxO1gFrActB+BSSlINxxZpRroWm",
    "5jB+qXpw+Rl7VNFJJpYhXMpLWAWsC2nU04a06K40K2My5hW0LJ1AOCmBe9XIYollYlXMdtAtCaW/GgMG/LeQy2XzKPfBeZjFVjtm",
    "7I4maYk2G9jeV1q9C+X7hc3UHcYFRF1NfaBaGPovbF6LwsVIlSGi5E6XWn1/V9xeVHtPFabJMAyfcUWvGZGSU/6eBWtQF1vJtBb7",
    "R2VIjQkkqS6TZKPQtdz+gs6fNS0ySettXiSpPMc2fkOyXTdecUtatzMOUysSKYvRP4jJn4mlHy+nkYTeS9QNrbX1jK1mq8gvmbua",
    "/wB6UkiSZJTtruYVtD1T50Wps3Iy9TLqQfUn1IN2sBtALSugX1UVZZGVkXc5rOWupPm/MkOur/LVXJOCLYgv3GN5r/kIr4L45/M7",
    "/ZvlfsnbiR21cREozyeom0bz7hK+C+DI/YZF7HNG8+4NG8+4TvgvgyP2GReyxjSFxH0vR3FtuJ2URi2+LKn+41/UQzF8F8TTGV0U",
    "rfPc/9k=",
  ].join(""),
  "base64",
);

/** A demo photo as a camera writes it: the picture with an EXIF segment holding its thumbnail. */
export function demoPhoto(fields: ExifFields = {}): Buffer {
  return withExif(DEMO_JPEG, DEMO_THUMBNAIL, fields);
}
