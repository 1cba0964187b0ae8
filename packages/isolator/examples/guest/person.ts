export class Person {
  constructor(
    readonly name: string,
    private age: number,
  ) {}
  getAge(): number {
    return this.age;
  }
  birthday(): void {
    this.age++;
  }
}
